//===- HadamardRow.h - one row of the online Hadamard transform -*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The row transform of lbc_ukernel_hadamard (Hadamard.cpp), shared with the
// kernel that rotates and quantizes a linear's input in one pass
// (lbc_ukernel_quantize_rotated_activations, GroupwiseLinearA8.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_HADAMARDROW_H
#define LBC_RUNTIME_CPU_UKERNELS_HADAMARDROW_H

#include <cstdint>

namespace lbc::ukernels {

/// row = source M_n, n = powerOfTwo * k, `factor` the k x k scaled H_K
/// (row-major f32); `row` and `source` do not overlap.
void hadamardRow(const float *__restrict source, float *__restrict row,
                 int64_t n, int64_t powerOfTwo, int64_t k,
                 const float *__restrict factor);

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_HADAMARDROW_H
