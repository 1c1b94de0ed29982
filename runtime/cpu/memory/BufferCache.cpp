//===- BufferCache.cpp - reuse of the artifact's dynamic intermediates ----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Intermediates of static shape live in the planned workspace; those of
// dynamic shape (a named sequence length, say) are allocated and freed by
// the generated code on every run. Large ones went to mmap and munmap each
// time, and every run paid their page faults again: 12.5% of a 2-thread
// run's samples were in the kernel for the hidden-768 prefill compiled with
// a dynamic sequence length (0.9% for the static one). The memref lowering
// calls the three functions below instead of libc (`use-generic-functions`)
// and this file, compiled to bitcode and linked into artifacts like the
// microkernels, keeps large freed blocks for the next run: an allocation
// takes the smallest cached block that holds it (and is at most twice its
// size). Blocks carry their capacity and base in a header. At most
// kCachedBlocks blocks and kCachedBytes bytes stay cached; the artifact's
// destructor frees them.
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace {

constexpr uint64_t kHeader = 64;
/// Smaller blocks come from malloc's own small-block lists, which it does not
/// give back to the OS.
constexpr uint64_t kMinCachedBytes = 4096;
constexpr int kCachedBlocks = 32;
constexpr uint64_t kCachedBytes = uint64_t(1) << 30;

struct Cache {
  std::atomic_flag lock = ATOMIC_FLAG_INIT;
  void *blocks[kCachedBlocks] = {};
  uint64_t capacities[kCachedBlocks] = {};
  uint64_t bytes = 0;

  void acquire() {
    while (lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  void release() { lock.clear(std::memory_order_release); }
};

Cache cache;

/// The header before a block's usable bytes.
struct Header {
  uint64_t capacity;
  void *base; // what aligned_alloc returned
};

Header &headerOf(void *user) {
  return *reinterpret_cast<Header *>(static_cast<char *>(user) - kHeader);
}

/// A block of at least `size` usable bytes aligned to `alignment` (a power
/// of two), with its capacity and base in the header.
void *allocate(uint64_t alignment, uint64_t size) {
  if (alignment < 64)
    alignment = 64;
  if (size >= kMinCachedBytes) {
    cache.acquire();
    int best = -1;
    for (int i = 0; i < kCachedBlocks; ++i)
      if (cache.blocks[i] && cache.capacities[i] >= size &&
          cache.capacities[i] <= 2 * size &&
          reinterpret_cast<uintptr_t>(cache.blocks[i]) % alignment == 0 &&
          (best < 0 || cache.capacities[i] < cache.capacities[best]))
        best = i;
    void *found = nullptr;
    if (best >= 0) {
      found = cache.blocks[best];
      cache.bytes -= cache.capacities[best];
      cache.blocks[best] = nullptr;
    }
    cache.release();
    if (found)
      return found;
  }
  // The header takes the first `alignment` bytes (at least 64).
  uint64_t capacity = (size + 63) / 64 * 64;
  char *base =
      static_cast<char *>(aligned_alloc(alignment, alignment + capacity));
  if (!base)
    return nullptr;
  void *user = base + alignment;
  headerOf(user) = Header{capacity, base};
  return user;
}

void release(void *user) {
  if (!user)
    return;
  Header header = headerOf(user);
  if (header.capacity >= kMinCachedBytes) {
    cache.acquire();
    int slot = -1;
    for (int i = 0; i < kCachedBlocks && slot < 0; ++i)
      if (!cache.blocks[i])
        slot = i;
    bool kept = slot >= 0 && cache.bytes + header.capacity <= kCachedBytes;
    if (kept) {
      cache.blocks[slot] = user;
      cache.capacities[slot] = header.capacity;
      cache.bytes += header.capacity;
    }
    cache.release();
    if (kept)
      return;
  }
  free(header.base);
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(uint64_t size) { return allocate(64, size); }

void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size) {
  return allocate(alignment, size);
}

void _mlir_memref_to_llvm_free(void *pointer) { release(pointer); }

/// Frees the cached blocks; registered as a destructor of the artifact
/// (Ukernels.cpp).
void lbc_buffer_cache_release() {
  cache.acquire();
  for (int i = 0; i < kCachedBlocks; ++i)
    if (cache.blocks[i]) {
      free(headerOf(cache.blocks[i]).base);
      cache.blocks[i] = nullptr;
    }
  cache.bytes = 0;
  cache.release();
}

} // extern "C"
