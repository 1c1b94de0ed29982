//===- MlpStructure.h - recognising SwiGLU MLP down projections -*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The transformer pieces the rotation, smoothing and AWQ passes recognise:
// channel-keeping reshapes, an RMSNorm's weight multiply, and the SwiGLU
// down projection, a linear (down) whose input is the elementwise product of
// another linear's output (up) with a gate that does not depend on it, seen
// through the reshapes and padded-output slices the importer writes.
// Scaling up's output channel j by 1/s_j and down's input column j by s_j
// leaves the function unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_QUANT_MLPSTRUCTURE_H
#define LBC_PASSES_QUANT_MLPSTRUCTURE_H

#include "dialects/LowBit/LowBitDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::lbc {

/// A down projection and the linear (up) whose output its input scales.
struct MlpDown {
  lowbit::LinearOp down, up;
  linalg::GenericOp product;
};

/// Whether `op` is a reshape that keeps the last (channel) dimension a group
/// of its own (the collapse/expand of leading dims around linears).
bool keepsChannels(Operation *op);

/// For z = y * g with g an f32 constant [n] broadcast along the last loop
/// (an RMSNorm's weight): the operand holding g, else null.
OpOperand *channelWeightOperand(linalg::GenericOp generic);

/// `value` seen through single-use reshapes that keep the last (channel)
/// dimension a group of its own and channel-prefix slices: the value whose
/// channel j is `value`'s channel j.
Value throughChannelReshapes(Value value);

/// Divides up's output channel j (its weight's row j and bias entry j) by
/// scales[j], j < scales.size(), with new constants named `name`_weight and
/// `name`_bias: the producer's half of an exact rescaling.
LogicalResult divideUpOutputs(lowbit::LinearOp up, ArrayRef<float> scales,
                              llvm::StringRef name);

/// `down` with its up linear, if the pattern above holds (each value used
/// once, constant f32 weights, up's bias constant or absent).
std::optional<MlpDown> matchMlpDown(lowbit::LinearOp down);

} // namespace mlir::lbc

#endif // LBC_PASSES_QUANT_MLPSTRUCTURE_H
