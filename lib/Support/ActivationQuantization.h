//===- ActivationQuantization.h - run-time input quantization --*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The dynamic quantization lowbit.linear applies to its input at run time
// (activation_bits, activation_per_token, activation_clip), as a round trip
// on floats: what the integer kernels compute with, for compile-time
// searches that score a transform by the quantized layer's output. Mirrors
// quantizeRow in runtime/cpu/ukernels/GroupwiseLinearA8.cpp (the runtime
// does not link the compiler's support code). Depends on neither MLIR nor
// LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_ACTIVATIONQUANTIZATION_H
#define LBC_SUPPORT_ACTIVATIONQUANTIZATION_H

#include <cstdint>

namespace lbc {

/// How a linear's input is quantized; bits == 0 keeps floats.
struct ActivationQuantization {
  int bits = 0;
  /// One scale per row instead of per block of 32 channels.
  bool perToken = false;
  /// The scale covers clip * max|x|; larger values saturate.
  float clip = 1.0f;
};

/// Channels per scale block when not per token (the kernels' block).
constexpr int64_t kActivationScaleBlock = 32;

/// x -> scale * clamp(round(x / scale)) in place on `rows` rows of k, with
/// scale = clip * max|x| / (2^(bits-1) - 1) per block or row.
void roundTripActivations(float *x, int64_t rows, int64_t k,
                          const ActivationQuantization &quantization);

} // namespace lbc

#endif // LBC_SUPPORT_ACTIVATIONQUANTIZATION_H
