//===- RaiseLinear.cpp - matrix products with constant weights to linear --===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Turns the importer's marked contractions whose B operand is an f32
// constant into lowbit.linear with the weight transposed to [out, in],
// releasing each original weight once nothing uses it.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/WeightBlobs.h"
#include "passes/Raise/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_RAISELINEARPASS
#include "passes/Raise/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

namespace {

constexpr llvm::StringLiteral kContractionMarker = "lbc.contraction";

/// Whether `value` is a tensor of zeros (a linalg.fill of 0.0).
bool isZeroFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// Whether `op` reads A as (m, k), B as (k, n) and writes C as (m, n).
bool hasPlainMaps(linalg::GenericOp op) {
  MLIRContext *context = op.getContext();
  auto map = [&](unsigned a, unsigned b) {
    return AffineMap::get(
        3, 0, {getAffineDimExpr(a, context), getAffineDimExpr(b, context)},
        context);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps.size() == 3 && maps[0] == map(0, 1) && maps[1] == map(1, 2) &&
         maps[2] == map(0, 2);
}

struct RaiseLinearPass
    : public mlir::lbc::impl::RaiseLinearPassBase<RaiseLinearPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kContractionMarker) && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && hasPlainMaps(op))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates) {
      auto constant = op.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
      if (failed(raise(op)))
        return signalPassFailure();
      // The original weight's memory goes as soon as its last product is
      // raised (one weight at a time: the peak is the model plus one
      // transposed weight, not two models).
      if (constant && constant->use_empty() &&
          transposedWeights.count(constant)) {
        auto attr = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
        transposedWeights.erase(constant);
        constant.erase();
        if (attr)
          releaseUnusedWeightBlobs(getOperation(), {attr});
      }
    }
  }

  LogicalResult raise(linalg::GenericOp op) {
    auto constant = op.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
    auto weightType =
        constant ? dyn_cast<RankedTensorType>(constant.getType()) : nullptr;
    if (!weightType || !weightType.getElementType().isF32() ||
        !weightType.hasStaticShape())
      return success(); // not a linear layer's weight: left alone
    Value input = op.getDpsInputs()[0];
    auto inputType = cast<RankedTensorType>(input.getType());
    if (!inputType.getElementType().isF32())
      return success();
    Value transposed = getTransposedWeight(constant);
    if (!transposed)
      return failure();
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
    Value result =
        lowbit::LinearOp::create(b, loc, resultType, input, transposed, Value(),
                                 /*activation_bits=*/nullptr,
                                 /*activation_per_token=*/nullptr,
                                 /*activation_clip=*/nullptr);
    Value init = op.getDpsInits()[0];
    if (!isZeroFill(init)) {
      // C starts from an accumulator (a Gemm bias): add it.
      SmallVector<AffineMap> maps(3, b.getMultiDimIdentityMap(2));
      SmallVector<utils::IteratorType> iterators(2,
                                                 utils::IteratorType::parallel);
      result =
          linalg::GenericOp::create(
              b, loc, TypeRange{resultType}, ValueRange{result, init},
              ValueRange{init}, maps, iterators,
              [](OpBuilder &nb, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    nb, l,
                    arith::AddFOp::create(nb, l, args[0], args[1]).getResult());
              })
              .getResult(0);
    }
    op.getResult(0).replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  /// W = B^T as a new constant, made once per B.
  Value getTransposedWeight(arith::ConstantOp constant) {
    if (Value known = transposedWeights.lookup(constant))
      return known;
    auto type = cast<RankedTensorType>(constant.getType());
    FailureOr<F32Elements> elements = readF32Elements(
        cast<ElementsAttr>(constant.getValue()), constant.getLoc());
    if (failed(elements))
      return {};
    int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        rows * columns * sizeof(float), alignof(std::max_align_t));
    auto *data = reinterpret_cast<float *>(blob.getMutableData().data());
    // Blocked so that both sides stay in cache for big weights.
    constexpr int64_t kBlock = 64;
    for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
      for (int64_t c0 = 0; c0 < columns; c0 += kBlock)
        for (int64_t r = r0; r < std::min(rows, r0 + kBlock); ++r)
          for (int64_t c = c0; c < std::min(columns, c0 + kBlock); ++c)
            data[c * rows + r] = elements->values[r * columns + c];
    auto transposedType =
        RankedTensorType::get({columns, rows}, type.getElementType());
    auto attr = DenseResourceElementsAttr::get(
        transposedType, "lbc_linear_weight", std::move(blob));
    OpBuilder b(constant);
    b.setInsertionPointAfter(constant);
    Value transposed =
        arith::ConstantOp::create(b, constant.getLoc(), attr).getResult();
    transposedWeights[constant] = transposed;
    return transposed;
  }

  DenseMap<Operation *, Value> transposedWeights;
};

} // namespace
