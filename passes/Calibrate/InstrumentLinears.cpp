//===- InstrumentLinears.cpp - linear inputs' statistics as results ------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// lbc-instrument-linears: the model function also returns, per linear, the
// per-channel max |x| and sum of x^2 of its input and its row count, so a
// calibration run of the compiled model collects what smoothing, AWQ and
// the report need.
//
//===----------------------------------------------------------------------===//

#include "passes/Calibrate/Passes.h"

#include "dialects/LowBit/LinearRows.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_INSTRUMENTLINEARSPASS
#include "passes/Calibrate/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;

std::string mlir::lbc::calibrationResultName(int64_t linearIndex,
                                             llvm::StringRef what) {
  return ("calibration." + llvm::Twine(linearIndex) + "." + what).str();
}

namespace {

/// Reduces rows [R, K] over R into [K] with `combine(accumulator, x)`, from
/// zeros. Rows are the outer loop, so the inner one runs along contiguous
/// channels.
Value reduceRows(
    OpBuilder &b, Location loc, Value rows,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(rows.getType());
  Type f32 = type.getElementType();
  auto resultType = RankedTensorType::get({type.getDimSize(1)}, f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0.0));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(), f32);
  init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
             .getResult(0);
  MLIRContext *context = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap channel = AffineMap::get(2, 0, getAffineDimExpr(1, context));
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{rows}, ValueRange{init},
             {identity, channel},
             {utils::IteratorType::reduction, utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
             })
      .getResult(0);
}

/// X^T X of rows [R, K]: loops (r, i, j), rows outermost, so each row adds
/// its outer product along contiguous j.
Value gramOfRows(OpBuilder &b, Location loc, Value rows) {
  auto type = cast<RankedTensorType>(rows.getType());
  Type f32 = type.getElementType();
  int64_t k = type.getDimSize(1);
  auto resultType = RankedTensorType::get({k, k}, f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0.0));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(), f32);
  init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
             .getResult(0);
  MLIRContext *context = b.getContext();
  AffineExpr r = getAffineDimExpr(0, context), i = getAffineDimExpr(1, context),
             j = getAffineDimExpr(2, context);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {r, i}, context),
                                 AffineMap::get(3, 0, {r, j}, context),
                                 AffineMap::get(3, 0, {i, j}, context)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{rows, rows},
             ValueRange{init}, maps,
             {utils::IteratorType::reduction, utils::IteratorType::parallel,
              utils::IteratorType::parallel},
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[2], product).getResult());
             })
      .getResult(0);
}

struct InstrumentLinearsPass
    : public mlir::lbc::impl::InstrumentLinearsPassBase<InstrumentLinearsPass> {
  using Base::Base;

  void runOnOperation() override {
    auto function = getOperation().lookupSymbol<func::FuncOp>(functionName);
    if (!function || !function.getBody().hasOneBlock()) {
      getOperation().emitError("lbc-instrument-linears: no @")
          << functionName << " with a single block to instrument";
      return signalPassFailure();
    }
    auto returnOp =
        cast<func::ReturnOp>(function.getBody().front().getTerminator());
    SmallVector<lowbit::LinearOp> linears;
    function.walk([&](lowbit::LinearOp linear) { linears.push_back(linear); });

    SmallVector<Value> statistics;
    SmallVector<std::string> names;
    OpBuilder b(returnOp);
    // Linears that read one value (q/k/v, gate/up) share its statistics:
    // they are computed and returned once, under the first one's index.
    llvm::DenseSet<Value> instrumented;
    for (auto [index, linear] : llvm::enumerate(linears)) {
      if (!instrumented.insert(linear.getInput()).second)
        continue;
      Location loc = linear.getLoc();
      if (!cast<RankedTensorType>(linear.getInput().getType())
               .getElementType()
               .isF32()) {
        linear.emitError("lbc-instrument-linears: expects f32 inputs");
        return signalPassFailure();
      }
      Value rows = collapseToRows(b, loc, linear.getInput());
      statistics.push_back(reduceRows(
          b, loc, rows, [](OpBuilder &nb, Location l, Value acc, Value x) {
            return arith::MaximumFOp::create(nb, l, acc,
                                             math::AbsFOp::create(nb, l, x));
          }));
      statistics.push_back(reduceRows(
          b, loc, rows, [](OpBuilder &nb, Location l, Value acc, Value x) {
            return arith::AddFOp::create(nb, l, acc,
                                         arith::MulFOp::create(nb, l, x, x));
          }));
      Value count = tensor::DimOp::create(b, loc, rows, 0);
      count = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
      count = arith::SIToFPOp::create(b, loc, b.getF32Type(), count);
      statistics.push_back(tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get({1}, b.getF32Type()),
          ValueRange{count}));
      for (llvm::StringRef what : {"absmax", "sum_squares", "rows"})
        names.push_back(calibrationResultName(index, what));
      if (gram) {
        statistics.push_back(gramOfRows(b, loc, rows));
        names.push_back(calibrationResultName(index, "gram"));
      }
      if (linear->hasAttr(kCalibrationRowsAttr)) {
        statistics.push_back(rows);
        names.push_back(calibrationResultName(index, "input"));
      }
    }
    unsigned first = function.getNumResults();
    for (auto [offset, value] : llvm::enumerate(statistics)) {
      NamedAttribute name(b.getStringAttr("lbc.name"),
                          b.getStringAttr(names[offset]));
      if (failed(function.insertResult(first + offset, value.getType(),
                                       b.getDictionaryAttr({name})))) {
        function.emitError("lbc-instrument-linears: cannot add a result");
        return signalPassFailure();
      }
    }
    returnOp.getOperandsMutable().append(statistics);
  }
};

} // namespace
