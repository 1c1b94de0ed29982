//===- PreparedRow.h - one-row kernels' input, prepared once per linear ---===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The one-row (decode) kernels of lbc_ukernel_groupwise_linear and
// lbc_ukernel_kquant_linear on AVX512-BF16 CPUs read x in a form of their
// own: int16 codes with a step per block and the blocks' sums, or bf16 high
// and low parts. A linear's output columns run as up to 16 kernel calls
// (blocks of columns, spread over the threads), and each call used to
// rebuild that form from x: 5% of a q4k decode step on a Sapphire Rapids
// class Xeon. The compiler now calls the matching prepare kernel
// (lbc_ukernel_groupwise_prepare_row, lbc_ukernel_kquant_prepare_row) once
// before the column blocks, into a buffer of preparedRowBytes(k) bytes that
// every call then reads. The prepare kernels have the linear kernels'
// variants where they do work (`__avx512bf16`), so lib/Target/Ukernels.cpp
// picks matching pairs; elsewhere they do nothing and the linear kernels
// ignore the buffer. Shared by the kernels and by the compiler, which sizes
// the buffer; depends on nothing.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_PREPAREDROW_H
#define LBC_RUNTIME_CPU_UKERNELS_PREPAREDROW_H

#include <cstdint>

namespace lbc::ukernels {

/// Bytes of a prepared row of k inputs: the largest form is 4 bytes per
/// input (int16 codes plus room to reorder them, or two bf16 parts) and a
/// float per 16 inputs (block sums), plus a float per block of 32 (steps)
/// and each section's rounding to 64 bytes.
constexpr int64_t preparedRowBytes(int64_t k) {
  return (4 * k + k / 4 + k / 8 + 4 * 64 + 63) / 64 * 64;
}

/// Where the sections of a prepared row start: `count` elements of T at a
/// 64-byte aligned offset, each section after the previous one.
struct PreparedRowCursor {
  uint8_t *next;
  template <typename T> T *take(int64_t count) {
    T *at = reinterpret_cast<T *>(next);
    next += (count * int64_t(sizeof(T)) + 63) / 64 * 64;
    return at;
  }
};

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_PREPAREDROW_H
