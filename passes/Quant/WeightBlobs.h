//===- WeightBlobs.h - reading and writing weight blobs ---------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Glue between MLIR constants (dense and dense_resource attributes) and the
// MLIR-free weight codecs: read f32 weights, write packed blobs, decode them.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_QUANT_WEIGHTBLOBS_H
#define LBC_PASSES_QUANT_WEIGHTBLOBS_H

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Support/Gptq.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

#include <vector>

namespace mlir::lbc {

/// The values of an f32 constant: a view of the resource blob when the
/// constant is a dense_resource, otherwise a copy in `storage`.
struct F32Elements {
  ArrayRef<float> values;
  std::vector<float> storage;
};

/// Reads the elements of an f32 dense or dense_resource constant. Emits an
/// error at `loc` and fails when the data is unavailable (e.g. elided).
FailureOr<F32Elements> readF32Elements(ElementsAttr value, Location loc);

/// Fits `values` (a weight of type `packedType.getLogicalType()`) to the
/// packed type's encoding and returns the packed blob: group-wise encodings
/// by `fit`, K-quants by their weighted least squares.
/// With `gram` (X^T X of the layer's calibration inputs, in x in), group-wise
/// encodings are fitted by GPTQ instead; with `importance` (one weight per
/// input channel), K-quants weigh their fit by it. `gptq` tunes the GPTQ
/// fit (damping, act-order).
FailureOr<DenseResourceElementsAttr>
packWeights(ArrayRef<float> values, lowbit::PackedWeightType packedType,
            Location loc,
            ::lbc::FitMethod fit = ::lbc::FitMethod::RoundToNearest,
            ArrayRef<float> gram = {}, ArrayRef<float> importance = {},
            const ::lbc::GptqOptions &gptq = {});

/// The weight of `linear` if it is an f32 rank-2 arith.constant (the weights
/// the transforms may rewrite), else null.
arith::ConstantOp constantF32Weight(lowbit::LinearOp linear);

/// The values of an f32 constant, copied (weights a transform rewrites).
FailureOr<std::vector<float>> readF32Values(arith::ConstantOp constant);

/// Points `operand` at a new f32 constant (a dense_resource named `name`) of
/// `old`'s type holding `values`, created before `before`.
void replaceF32Constant(OpOperand &operand, arith::ConstantOp old,
                        ArrayRef<float> values, llvm::StringRef name,
                        Operation *before);

/// Records on `op` (a linear, or the model function for whole-model
/// structure) that `what` was done to it, for --report (`lbc.transforms`, a
/// list of strings).
void noteTransform(Operation *op, llvm::StringRef what);

/// `values` as an f32 dense_resource of `type` (a transformed weight).
DenseResourceElementsAttr makeF32Resource(RankedTensorType type,
                                          ArrayRef<float> values,
                                          llvm::StringRef name);

/// Frees the memory of those `candidates` (weights a pass replaced:
/// transposed, rotated, smoothed or packed) that no attribute in `module`
/// refers to any more. The context keeps every resource blob until it is
/// destroyed, so a replaced weight would otherwise stay in memory through
/// code generation (the transposed f32 copies doubled a 1.2 GB model's
/// peak). Blobs that view memory the blob does not own (a mapped external
/// data file) are only detached; the importer's blobs of inline initializers
/// free the parsed bytes. Only for the module being compiled: a clone (the
/// calibration copy) shares its blobs, which this cannot see.
void releaseUnusedWeightBlobs(ModuleOp module,
                              ArrayRef<DenseResourceElementsAttr> candidates);

/// Decodes the blob of a packed constant into an f32 dense_resource of its
/// logical type.
FailureOr<DenseResourceElementsAttr> unpackWeights(lowbit::ConstantOp constant);

} // namespace mlir::lbc

#endif // LBC_PASSES_QUANT_WEIGHTBLOBS_H
