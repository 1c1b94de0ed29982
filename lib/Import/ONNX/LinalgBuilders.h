//===- LinalgBuilders.h - linalg helpers for the ONNX converters -*- C++
//-*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Builders shared by the op converters: numpy-broadcasting elementwise
// generics, reductions, reshapes and scalar casts on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_IMPORT_ONNX_LINALGBUILDERS_H
#define LBC_LIB_IMPORT_ONNX_LINALGBUILDERS_H

#include "lib/Support/SymbolicDim.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::lbc::onnx_import {

/// Marks a 2-D contraction generic with loops (m, k, n) and a multiply-add
/// body, which CPU code generation tiles and vectorizes
/// (lbc-tile-and-vectorize-contractions).
constexpr llvm::StringLiteral kContractionMarker = "lbc.contraction";

/// Builds the scalar body of an elementwise op from the scalar operands.
using ScalarBodyFn =
    function_ref<Value(OpBuilder &, Location, ValueRange operands)>;

/// An empty tensor of `type`; dynamic sizes are taken from the inputs, aligned
/// to the right as in numpy broadcasting.
Value createEmptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                        ValueRange shapeSources);

/// result[i] = body(inputs broadcast to i) with numpy broadcasting, into
/// `init` when given (needed when a dynamic result dim is not an input dim,
/// as in Expand), else a new tensor sized from the inputs.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBodyFn body, Value init = {});

/// Reduces `input` over `axes` (normalized, sorted) with `combine`, starting
/// from `init`; keeps reduced dims as size 1 when `keepDims`.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, bool keepDims, TypedAttr init,
                     ScalarBodyFn combine);

/// Batched contraction C[b..., m, n] = sum_k A[b..., m, k] * B[b..., k, n]
/// with numpy broadcasting of the batch dims (loops batch..., m, k, n;
/// 2-D ones marked for tiling). `transposeA`/`transposeB` read A as [k, m] /
/// B as [n, k] (rank-2 operands only). The sum starts from `accumulator`
/// (of `resultType`) when given, else from zero. Defined in
/// LinearAlgebraOps.cpp.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       RankedTensorType resultType, bool transposeA,
                       bool transposeB, Value accumulator = {});

/// The transpose of a constant read as the matrix [dim 0, the other dims],
/// computed at import time, or null when `value` is not a constant. Defined
/// in LinearAlgebraOps.cpp.
Value transposeConstantMatrix(OpBuilder &b, Location loc, Value value);

/// C[M, N] = A[M, K] x B[K, N] as a marked contraction; a constant B whose N
/// is not a multiple of 8 is padded to whole vector tiles and the product
/// sliced back. Defined in LinearAlgebraOps.cpp.
Value buildMatrixProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         RankedTensorType resultType);

/// The static slice value[offsets .. offsets + sizes) (unit strides, same
/// rank), reshaped to `shape` when one is given (e.g. to drop unit dims).
Value buildStaticSlice(OpBuilder &b, Location loc, Value value,
                       ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                       ArrayRef<int64_t> shape = {});

/// Reshapes a static tensor to the static `type` (same element count).
Value buildReshape(OpBuilder &b, Location loc, Value input,
                   RankedTensorType type);

/// Reshapes `input` (dims `inputDims`) to `type` (dims `resultDims`, sizes
/// `sizes`; some dynamic) as a collapse then an expand, both views of the
/// buffer. Dims are grouped where the symbolic prefix products agree, so
/// that no group expands into more than one dynamic dim where avoidable;
/// without symbolic dims everything goes through one 1-D group.
Value buildDynamicReshape(
    OpBuilder &b, Location loc, Value input,
    ArrayRef<std::optional<::lbc::SymbolicDim>> inputDims,
    RankedTensorType type,
    ArrayRef<std::optional<::lbc::SymbolicDim>> resultDims,
    ArrayRef<OpFoldResult> sizes);

/// Converts a scalar between int/float types. Integers are signed unless
/// `fromUnsigned`/`toUnsigned` say otherwise (i1 is always unsigned).
Value castScalar(OpBuilder &b, Location loc, Value value, Type to,
                 bool fromUnsigned = false, bool toUnsigned = false);

/// A scalar constant of `type` with value `value`.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// Normalizes a possibly negative axis into [0, rank); std::nullopt if out
/// of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::lbc::onnx_import

#endif // LBC_LIB_IMPORT_ONNX_LINALGBUILDERS_H
