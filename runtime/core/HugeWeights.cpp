//===- HugeWeights.cpp - an artifact's weights moved into huge pages ------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// A decode step streams every weight once, so the weights' pages set the
// speed as much as the kernels do. Mapped from the artifact's file they are
// 4 KiB page-cache pages wherever the kernel put them: on a 2-core Xeon VM
// the same q4k decode chain (576 MiB) took 41 to 61 ms depending only on
// which copy of the file it ran from, and MADV_COLLAPSE is refused for such
// file mappings. Copied into 2 MiB anonymous pages and moved (mremap) over
// the original addresses, the code's references to the weights stay valid
// and the chain took 40-42 ms from every copy (21 ms on 2 threads, against
// 29-37). The cost: one copy at load (~0.1 s per GB) and the weights held as
// anonymous memory instead of reclaimable page cache.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/HugeWeights.h"

#include <dlfcn.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr uintptr_t kHugePage = uintptr_t(2) << 20;

/// Whether the kernel hands out transparent huge pages to a mapping that
/// asks for them (MADV_HUGEPAGE): the mode is "always" or "madvise".
bool transparentHugePagesOffered() {
  FILE *file = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!file)
    return false;
  char mode[128] = {};
  size_t length = std::fread(mode, 1, sizeof(mode) - 1, file);
  std::fclose(file);
  mode[length] = '\0';
  return std::strstr(mode, "[always]") || std::strstr(mode, "[madvise]");
}

} // namespace

size_t lbc::runtime::moveWeightsToHugePages(void *handle) {
  const char *setting = std::getenv("LBC_HUGE_WEIGHTS");
  if (setting && std::strcmp(setting, "0") == 0)
    return 0;
  auto begin = reinterpret_cast<uintptr_t>(dlsym(handle, "lbc_weights_begin"));
  auto end = reinterpret_cast<uintptr_t>(dlsym(handle, "lbc_weights_end"));
  // Only whole huge pages inside the section move: the pages at its ends
  // share their 2 MiB with other sections (and stay file pages).
  const uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
  const uintptr_t last = end / kHugePage * kHugePage;
  if (!begin || !end || last <= first || !transparentHugePagesOffered())
    return 0;
  const size_t bytes = last - first;
  // A 2 MiB aligned anonymous region (one extra huge page to align it), so
  // that its huge pages move whole.
  void *raw = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return 0;
  const uintptr_t rawStart = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (rawStart + kHugePage - 1) / kHugePage * kHugePage;
  auto *copy = reinterpret_cast<void *>(aligned);
  auto *target = reinterpret_cast<void *>(first);
  if (madvise(copy, bytes, MADV_HUGEPAGE) != 0) {
    munmap(raw, bytes + kHugePage);
    return 0;
  }
  std::memcpy(copy, target, bytes);
  // Read-only, as the file mapping was, before it replaces it: a stray
  // write faults as it would have.
  if (mprotect(copy, bytes, PROT_READ) != 0 ||
      mremap(copy, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, target) ==
          MAP_FAILED) {
    munmap(raw, bytes + kHugePage);
    return 0;
  }
  // The alignment slack on either side of the moved region.
  if (aligned > rawStart)
    munmap(raw, aligned - rawStart);
  const uintptr_t tail = aligned + bytes;
  if (rawStart + bytes + kHugePage > tail)
    munmap(reinterpret_cast<void *>(tail), rawStart + bytes + kHugePage - tail);
  return bytes;
}
