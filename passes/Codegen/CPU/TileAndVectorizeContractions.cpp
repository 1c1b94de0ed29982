//===- TileAndVectorizeContractions.cpp - register-tiled contractions -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Builds a transform-dialect script for the marked contractions of a module
// (one tiling decision per op, from its static shape) and interprets it.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_TILEANDVECTORIZECONTRACTIONSPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMarker = "lbc.contraction";
constexpr llvm::StringLiteral kIdAttr = "lbc.contraction_id";

/// How one contraction (loops m, k, n) is tiled.
struct TileChoice {
  /// Cache block [k, n] tiled first (n outer, then k), so that the block of
  /// B is reused from L2 by every row tile; zero when the operands are small.
  std::array<int64_t, 2> cacheBlock;
  std::array<int64_t, 3> sizes; // register tile: m, k, n
  /// Loops m, n outside and k innermost, with the accumulator tile kept in
  /// registers across k; otherwise the loops stay m, k, n.
  bool accumulateInRegisters;
};

/// The tiling for static sizes, or nothing when the shape does not divide
/// or tiling does not pay.
std::optional<TileChoice> chooseTile(int64_t m, int64_t k, int64_t n) {
  // Matrices: an 8 x 32 accumulator tile (16 zmm registers) updated by one
  // outer product per k. Fewer than 8 rows (decode GEMV) is bandwidth-bound:
  // the untiled m, k, n loops, which LLVM vectorizes along the rows of B,
  // measured faster than any register tiling tried (bench/run.sh: 5.4 ms vs
  // 8.7 ms for 1x4096x4096 with 4 x 256 strips).
  if (m < 8)
    return std::nullopt;
  // 256 x 256 floats of B (256 KiB) fit the 1 MiB L2 with room for A and C.
  constexpr int64_t kBlock = 256;
  TileChoice choice{{0, 0}, {8, 1, 32}, true};
  if (k % kBlock == 0 && n % kBlock == 0 && (k > kBlock || n > kBlock))
    choice.cacheBlock = {kBlock, kBlock};
  if (m % choice.sizes[0] || n % choice.sizes[2])
    return std::nullopt;
  return choice;
}

/// The vectorized reduction adds the products without the `contract` flag
/// the scalar body had, which blocks FMA formation in LLVM. Give each vector
/// add of a contract-flagged product (through shape casts) the flag back.
void allowFusedMultiplyAdd(ModuleOp module) {
  auto contractedProduct = [](Value value) {
    while (auto cast = value.getDefiningOp<vector::ShapeCastOp>())
      value = cast.getSource();
    auto mul = value.getDefiningOp<arith::MulFOp>();
    return mul && bitEnumContainsAll(mul.getFastmath(),
                                     arith::FastMathFlags::contract);
  };
  module.walk([&](arith::AddFOp add) {
    if (isa<VectorType>(add.getType()) &&
        (contractedProduct(add.getLhs()) || contractedProduct(add.getRhs())))
      add.setFastmath(add.getFastmath() | arith::FastMathFlags::contract);
  });
}

struct TileAndVectorizeContractionsPass
    : public mlir::lbc::impl::TileAndVectorizeContractionsPassBase<
          TileAndVectorizeContractionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string steps, hoists;
    int64_t id = 0;
    module.walk([&](linalg::GenericOp op) {
      if (!op->hasAttr(kMarker) || op.getNumLoops() != 3)
        return;
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      if (llvm::any_of(bounds, ShapedType::isDynamic))
        return;
      std::optional<TileChoice> tile =
          chooseTile(bounds[0], bounds[1], bounds[2]);
      if (!tile)
        return;
      op->setAttr(kIdAttr,
                  IntegerAttr::get(IntegerType::get(&getContext(), 64), id));
      std::string target = llvm::formatv("%op{0}", id);
      steps += llvm::formatv(
          "    %op{0} = transform.structured.match attributes "
          "{{lbc.contraction_id = {0} : i64} in %root : (!transform.any_op) -> "
          "!transform.any_op\n",
          id);
      if (tile->cacheBlock[0]) {
        // Column blocks are independent: they become an scf.forall, which
        // code generation runs on the thread pool. The k blocks inside are
        // sequential.
        steps += llvm::formatv(
            "    %column{0}, %forall{0} = "
            "transform.structured.tile_using_forall "
            "%op{0} tile_sizes [0, 0, {2}] : (!transform.any_op) -> "
            "(!transform.any_op, !transform.any_op)\n"
            "    %block{0}, %bk{0} = transform.structured.tile_using_for "
            "%column{0} tile_sizes [0, {1}, 0] : "
            "(!transform.any_op) -> (!transform.any_op, !transform.any_op)\n",
            id, tile->cacheBlock[0], tile->cacheBlock[1]);
        target = llvm::formatv("%block{0}", id);
      }
      steps += llvm::formatv(
          R"(    %tiled{0}, %a{0}, %b{0}, %c{0} = transform.structured.tile_using_for {5} tile_sizes [{1}, {2}, {3}] interchange = {4} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %tiled{0} {{create_named_contraction} : !transform.any_op
)",
          id, tile->sizes[0], tile->sizes[1], tile->sizes[2],
          tile->accumulateInRegisters ? "[0, 2, 1]" : "[0, 1, 2]", target);
      // With k innermost (the third loop), hoisting the accumulator's
      // read/write out of it keeps the tile in registers.
      if (tile->accumulateInRegisters)
        hoists += llvm::formatv(
            "    transform.loop.hoist_loop_invariant_subsets %c{0} : "
            "!transform.any_op\n",
            id);
      ++id;
    });
    if (id == 0)
      return;
    std::string script = llvm::formatv(
        R"(module attributes {{transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}) {{
{0}
    %funcs = transform.structured.match ops{{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {{
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerparallel"
      transform.apply_patterns.canonicalization
    } : !transform.any_op
{1}    transform.yield
  }
}
)",
        steps, hoists);
    OwningOpRef<ModuleOp> transforms =
        parseSourceString<ModuleOp>(script, &getContext());
    if (!transforms) {
      module.emitError("internal error: bad contraction tiling script");
      return signalPassFailure();
    }
    Operation *entry =
        SymbolTable::lookupSymbolIn(*transforms, "__transform_main");
    if (failed(transform::applyTransformNamedSequence(
            module, entry, *transforms, transform::TransformOptions())))
      return signalPassFailure();
    module.walk([](Operation *op) { op->removeAttr(kIdAttr); });
    allowFusedMultiplyAdd(module);
  }
};

} // namespace
