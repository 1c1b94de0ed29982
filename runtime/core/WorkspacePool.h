//===- WorkspacePool.h - reusable per-run workspaces ------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Keeps the workspaces of a loaded model between runs, one per concurrent
// run, so that a run neither allocates nor page-faults its intermediates.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CORE_WORKSPACEPOOL_H
#define LBC_RUNTIME_CORE_WORKSPACEPOOL_H

#include <cstdlib>
#include <mutex>
#include <vector>

namespace lbc::runtime {

/// A free list of equally sized, 64-byte aligned workspaces.
class WorkspacePool {
public:
  explicit WorkspacePool(size_t size = 0)
      : size((size + kAlignment - 1) / kAlignment * kAlignment) {}
  WorkspacePool(const WorkspacePool &) = delete;
  WorkspacePool &operator=(const WorkspacePool &) = delete;
  ~WorkspacePool() {
    for (void *workspace : free)
      std::free(workspace);
  }

  /// A workspace for one run (reused when one is free), or null when out of
  /// memory. Null also for an empty workspace, which is never dereferenced.
  void *acquire() {
    if (size == 0)
      return nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!free.empty()) {
        void *workspace = free.back();
        free.pop_back();
        return workspace;
      }
    }
    return std::aligned_alloc(kAlignment, size);
  }

  /// Returns a workspace from acquire() for later runs.
  void release(void *workspace) {
    if (!workspace)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    free.push_back(workspace);
  }

  size_t bytes() const { return size; }

private:
  static constexpr size_t kAlignment = 64;
  size_t size;
  std::mutex mutex;
  std::vector<void *> free;
};

} // namespace lbc::runtime

#endif // LBC_RUNTIME_CORE_WORKSPACEPOOL_H
