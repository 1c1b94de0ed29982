//===- HugeWeights.h - weights moved into huge pages ------------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CORE_HUGEWEIGHTS_H
#define LBC_RUNTIME_CORE_HUGEWEIGHTS_H

#include <cstddef>

namespace lbc::runtime {

/// Moves the weights of the loaded artifact `handle` (its `.lbc.weights`
/// section, between the exported symbols lbc_weights_begin and
/// lbc_weights_end) from the file's page cache into anonymous transparent
/// huge pages at the same addresses, read-only. Returns the bytes moved: 0
/// when the artifact has no such section, it spans no whole 2 MiB page, the
/// kernel offers no transparent huge pages, the environment sets
/// LBC_HUGE_WEIGHTS=0, or a system call fails (the weights then stay where
/// they were, so the artifact runs the same either way).
size_t moveWeightsToHugePages(void *handle);

} // namespace lbc::runtime

#endif // LBC_RUNTIME_CORE_HUGEWEIGHTS_H
