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

#include "lib/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

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
  /// Columns of B per parallel block (an scf.forall, run on the thread
  /// pool), and the k rows per sequential block inside it; zero for none.
  int64_t columnBlock = 0, depthBlock = 0;
  /// The k range split into this many slices that run in parallel, each
  /// into its own partial result, summed afterwards; zero for none.
  int64_t depthSlices = 0;
  std::array<int64_t, 3> sizes; // vector tile: m, k, n
  /// Loops m, n outside and k innermost, with the accumulator tile kept in
  /// registers across k; otherwise the loops stay m, k, n and each k step
  /// updates the accumulator row in memory (L1).
  bool accumulateInRegisters;
  /// Rows of A per parallel block (the forall's other dimension); zero for
  /// none.
  int64_t rowBlock = 0;
};

/// The largest of `candidates` that divides `size`, or 0.
int64_t largestDivisor(int64_t size, ArrayRef<int64_t> candidates) {
  for (int64_t candidate : candidates)
    if (size % candidate == 0)
      return candidate;
  return 0;
}

/// The parallel blocks (an scf.forall over m and n) of a matrix-shaped
/// contraction tiled into `rows` x `columns` register tiles. Column blocks
/// come first: the widest that divides n into whole tiles up to `maxColumns`
/// (a block of B that stays in L2). Where they are too few for the threads
/// to share evenly (the 1x1 convolutions of small CNNs: n = H * W such as
/// 1920 or 960 is rarely a multiple of 256), m is cut too, into the fewest
/// pieces that give at least kTargetBlocks blocks, an even count (two
/// threads then split it exactly). Shapes below 2^18 multiply-adds (~5 us
/// on one core) keep one block: a parallel region costs ~1.2 us of fork and
/// join in libomp (measured) plus moving its operands between cores.
void chooseParallelBlocks(int64_t m, int64_t k, int64_t n, int64_t rows,
                          int64_t columns, int64_t maxColumns,
                          TileChoice &choice) {
  constexpr int64_t kMinParallelMacs = 1 << 18;
  constexpr int64_t kTargetBlocks = 8;
  if (m * k * n < kMinParallelMacs)
    return;
  int64_t columnBlock = n;
  if (n > maxColumns)
    for (int64_t block = maxColumns / columns * columns; block >= columns;
         block -= columns)
      if (n % block == 0) {
        columnBlock = block;
        break;
      }
  int64_t columnBlocks = n / columnBlock;
  // Cut m into `pieces` of whole tiles while that helps.
  int64_t tilesPerColumn = m / rows, pieces = 1;
  auto enough = [&](int64_t p) {
    return columnBlocks * p >= kTargetBlocks && columnBlocks * p % 2 == 0;
  };
  for (int64_t candidate = 2; candidate <= tilesPerColumn && !enough(pieces);
       ++candidate)
    if (tilesPerColumn % candidate == 0)
      pieces = candidate;
  if (columnBlocks * pieces < 2)
    return;
  choice.columnBlock = columnBlock < n ? columnBlock : 0;
  choice.rowBlock = pieces > 1 ? m / pieces : 0;
}

/// The tiling for static sizes, or nothing when the shape does not divide.
std::optional<TileChoice> chooseTile(int64_t m, int64_t k, int64_t n) {
  // A single k step is an outer product: LLVM's vectorizer does it well, and
  // its one-iteration k loop would fold away under the script's handles.
  if (k == 1)
    return std::nullopt;
  if (m <= 8) {
    // Up to 8 rows (decode GEMV, short prefill): bandwidth-bound, so B is
    // read row by row, contiguously (what hardware prefetchers stream best):
    // each step adds A[:, k..k+7] * B[k..k+7, tile] to the accumulator rows,
    // which stay in L1 (one accumulator load/store per 8 rows of B; a
    // register tile with k innermost reads B in 128-byte pieces per row,
    // 1.3x slower at 8 x 768 x 2048). Explicit vectors, not LLVM's loop
    // vectorizer. For 1-2 rows, threads split k, not n: column blocks cut
    // every row of B into pieces, which measured 2x slower (with more rows
    // the sliced partial sums measured slower than one sequential pass).
    int64_t columns =
        largestDivisor(n, m <= 2 ? ArrayRef<int64_t>{64, 32, 16, 8}
                                 : ArrayRef<int64_t>{32, 16, 8});
    if (!columns)
      return std::nullopt;
    constexpr int64_t kSlices = 8;
    // Parallel slices only where the work (at least 1 MiB of B) outweighs
    // the region's fork/join and the sum of the partial rows.
    constexpr int64_t kMinSlicedElements = 256 * 1024;
    int64_t slices = m <= 2 && k % kSlices == 0 && k >= 128 * kSlices &&
                             k * n >= kMinSlicedElements
                         ? kSlices
                         : 0;
    int64_t rows = largestDivisor(slices ? k / slices : k, {8, 4, 2, 1});
    TileChoice choice{0, 0, slices, {m, rows, columns}, false};
    // 3-8 rows (short prefill) do enough arithmetic per byte of B for
    // threads to split the columns: at least 4 blocks of 64-512 columns
    // (pieces of 0.25-2 KiB of each row of B, which still stream well),
    // from 256 KiB of B (the k/v projections of a hidden-768 layer: 8-row
    // prefill on 2 threads 0.53 -> 0.46 ms).
    if (!slices && m > 2 && k * n >= kMinSlicedElements / 4)
      for (int64_t block : {512, 384, 256, 192, 128, 64})
        if (n % block == 0 && n / block >= 4 && block % columns == 0) {
          choice.columnBlock = block;
          break;
        }
    return choice;
  }
  // Matrices: an 8 x 32 accumulator tile (16 zmm registers) updated by one
  // outer product per k; smaller tiles where 8 rows or 32 columns do not
  // divide the shape (masked edge tiles hit vector.mask canonicalization
  // bugs upstream). 256 x 256 floats of B (256 KiB) fit the 1 MiB L2 with
  // room for A and C.
  constexpr int64_t kBlock = 256;
  int64_t rows = largestDivisor(m, {8, 4, 2, 1});
  int64_t columns = largestDivisor(n, {32, 16, 8});
  if (!columns)
    return std::nullopt;
  TileChoice choice{0, 0, 0, {rows, 1, columns}, true};
  chooseParallelBlocks(m, k, n, rows, columns, kBlock, choice);
  if (k % kBlock == 0 && k > kBlock)
    choice.depthBlock = kBlock;
  return choice;
}

/// The vectorized reduction adds the products without the `contract` flag
/// the scalar body had, which blocks FMA formation in LLVM. Give each vector
/// add of a contract-flagged product (through shape casts, extracts and
/// transposes) the flag back.
void allowFusedMultiplyAdd(ModuleOp module) {
  auto contractedProduct = [](Value value) {
    while (Operation *op = value.getDefiningOp()) {
      if (auto cast = dyn_cast<vector::ShapeCastOp>(op))
        value = cast.getSource();
      else if (auto extract = dyn_cast<vector::ExtractOp>(op))
        value = extract.getSource();
      else if (auto transpose = dyn_cast<vector::TransposeOp>(op))
        value = transpose.getVector();
      else
        break;
    }
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

/// Types of a transform op result list: `count` any_op handles.
std::string anyOps(int64_t count) {
  std::string types;
  for (int64_t i = 0; i < count; ++i)
    types += std::string(i ? ", " : "") + "!transform.any_op";
  return count == 1 ? types : "(" + types + ")";
}

/// Splits the k range of a GEMV-shaped contraction into `slices` pieces
/// whose partial results are independent: P[s, m, n] = sum over the s-th
/// k slice, then C = C0 + sum_s P[s]. Each partial row is contiguous, so
/// every slice streams whole rows of B. Returns (partial op, sum op).
std::pair<linalg::GenericOp, linalg::GenericOp> splitDepth(linalg::GenericOp op,
                                                           int64_t slices) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *context = op.getContext();
  Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  int64_t m = bounds[0], k = bounds[1], n = bounds[2], depth = k / slices;
  Type elementType = cast<RankedTensorType>(init.getType()).getElementType();
  auto tensorOf = [&](ArrayRef<int64_t> shape, Value like) {
    return RankedTensorType::get(
        shape, cast<RankedTensorType>(like.getType()).getElementType());
  };
  Value lhs3 = tensor::ExpandShapeOp::create(
      b, loc, tensorOf({m, slices, depth}, lhs), lhs,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  Value rhs3 = tensor::ExpandShapeOp::create(
      b, loc, tensorOf({slices, depth, n}, rhs), rhs,
      SmallVector<ReassociationIndices>{{0, 1}, {2}});
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  Value partialInit =
      linalg::FillOp::create(
          b, loc, zero,
          tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{slices, m, n},
                                  elementType)
              .getResult())
          .getResult(0);
  auto dims = [&](int64_t count, ArrayRef<unsigned> which) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : which)
      exprs.push_back(getAffineDimExpr(d, context));
    return AffineMap::get(count, 0, exprs, context);
  };
  using utils::IteratorType;
  // Loops s, m, kk, n.
  auto partial = linalg::GenericOp::create(
      b, loc, TypeRange{partialInit.getType()}, ValueRange{lhs3, rhs3},
      ValueRange{partialInit},
      {dims(4, {1, 0, 2}), dims(4, {0, 2, 3}), dims(4, {0, 1, 3})},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
       IteratorType::parallel});
  IRMapping mapping;
  op.getRegion().cloneInto(&partial.getRegion(), mapping);
  // Loops s, m, n: C[m, n] += P[s, m, n].
  auto sum = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{partial.getResult(0)},
      ValueRange{init}, {dims(3, {0, 1, 2}), dims(3, {1, 2})},
      {IteratorType::reduction, IteratorType::parallel, IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[1], args[0]).getResult());
      });
  op.getResult(0).replaceAllUsesWith(sum.getResult(0));
  op.erase();
  return {partial, sum};
}

/// Where loop `dim` of a contraction appears in each operand: the position
/// of a plain `d<dim>` result of its indexing map, or -1 where it does not
/// appear. Every other dim of an operand must be static. Nothing when the
/// loop appears inside an expression or twice in one operand.
std::optional<SmallVector<int64_t>> loopPositions(linalg::GenericOp op,
                                                  unsigned dim) {
  SmallVector<int64_t> positions;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    int64_t position = -1;
    for (auto [index, expr] : llvm::enumerate(map.getResults())) {
      if (expr.isFunctionOfDim(dim)) {
        auto dimExpr = dyn_cast<AffineDimExpr>(expr);
        if (!dimExpr || position >= 0)
          return std::nullopt;
        position = index;
      }
    }
    auto type = cast<RankedTensorType>(operand.get().getType());
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != position && type.isDynamicDim(d))
        return std::nullopt;
    positions.push_back(position);
  }
  return positions;
}

/// `value` with `extra` zeros appended along dim `position`.
Value padWithZeros(OpBuilder &b, Location loc, Value value, int64_t position,
                   OpFoldResult extra) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> low(type.getRank(), b.getIndexAttr(0)),
      high(type.getRank(), b.getIndexAttr(0));
  high[position] = extra;
  SmallVector<int64_t> shape(type.getShape());
  std::optional<int64_t> staticExtra = getConstantIntValue(extra);
  if (!ShapedType::isDynamic(shape[position]))
    shape[position] =
        staticExtra ? shape[position] + *staticExtra : ShapedType::kDynamic;
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value, low,
      high, zero);
}

/// A copy of contraction `op` (maps, iterators, body, marker) on other
/// operands of the same ranks.
linalg::GenericOp cloneContraction(OpBuilder &b, Location loc,
                                   linalg::GenericOp op, ValueRange inputs,
                                   Value init) {
  auto copy = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
      op.getIndexingMapsArray(), op.getIteratorTypesArray());
  IRMapping mapping;
  op.getRegion().cloneInto(&copy.getRegion(), mapping);
  copy->setAttrs(op->getDiscardableAttrDictionary());
  return copy;
}

/// `value` cut back to the static `shape` from its origin.
Value sliceFromOrigin(OpBuilder &b, Location loc, Value value,
                      RankedTensorType type) {
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
      strides(type.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d))
      sizes[d] = b.getIndexAttr(type.getDimSize(d));
  return tensor::ExtractSliceOp::create(b, loc, type, value, offsets, sizes,
                                        strides);
}

/// Columns added to a constant B whose rows lie a multiple of 4 KiB apart.
constexpr int64_t kAliasPadColumns = 32;

/// Whether B (`value`, indexed [k, n]) of a contraction with `rows` rows
/// should get kAliasPadColumns more columns: its rows are a multiple of
/// 4 KiB long, so a register tile reading its column strip of B at that
/// stride maps every row's strip to the same L1 sets (48 KiB, 12 ways) and
/// the strip comes from L2 on every reuse: 512 x 4096 x 4096 ran at 0.73 of
/// oneDNN's speed, at 0.96 with rows of 4128 floats. A constant B is padded
/// at compile time; another is copied when the model runs, which pays from
/// kMinRowsToCopy rows (the copy costs about as much as 32 rows of work).
bool aliasingRows(Value value, int64_t rows) {
  constexpr int64_t kMinRowsToCopy = 256;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat())
    return false;
  int64_t rowBits =
      type.getDimSize(1) * type.getElementType().getIntOrFloatBitWidth();
  if (rowBits % (4096 * 8) != 0)
    return false;
  return mlir::lbc::constantMatrixBytes(value).has_value() ||
         rows >= kMinRowsToCopy;
}

/// The constant matrix `value` with `extra` zero columns appended, as a new
/// constant (made at compile time: no copy when the model runs); nothing if
/// `value` is not a constant matrix.
Value padConstantColumns(OpBuilder &b, Location loc, Value value,
                         int64_t extra) {
  auto constant = mlir::lbc::constantMatrixBytes(value);
  if (!constant || cast<RankedTensorType>(value.getType()).getRank() != 2)
    return {};
  ArrayRef<char> data = constant->first;
  auto type = cast<RankedTensorType>(value.getType());
  int64_t columns = type.getDimSize(1);
  size_t bytes = type.getElementType().getIntOrFloatBitWidth() / 8;
  return mlir::lbc::buildConstantMatrix(
      b, loc,
      RankedTensorType::get({type.getDimSize(0), columns + extra},
                            type.getElementType()),
      "lbc_padded_columns", [&](int64_t row, int64_t column) -> const char * {
        return column < columns ? data.data() + (row * columns + column) * bytes
                                : nullptr;
      });
}

/// A matrix-shaped contraction (at least kMinRows rows) computed on operands
/// padded with zero columns and sliced back, where
/// - no register tile width divides n (1x1 convolutions on a 10 x 10 map:
///   n = 100): padded to a multiple of 16, so that it is tiled, vectorized
///   and run on threads like the others instead of keeping its scalar loops.
///   16, not 8: a 16-wide tile fills a 512-bit register, which outweighs the
///   padded columns' work (PP-OCRv4 det, 1 / 2 threads: 10.80 / 6.74 ms
///   unpadded, 10.64 / 5.99 padded to 8, 10.16 / 5.73 to 16); B (an
///   activation: constant weights are padded at import) and C are copied,
///   1/m of the product's work;
/// - B's rows are a multiple of 4 KiB long (aliasingRows): kAliasPadColumns
///   more, a constant B padded at compile time.
/// Returns false when the op does not have that form.
bool padColumns(linalg::GenericOp op) {
  constexpr int64_t kColumnMultiple = 16, kMinRows = 32;
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  if (llvm::any_of(bounds, ShapedType::isDynamic) || bounds[0] < kMinRows ||
      bounds[1] == 1 || op.getNumDpsInits() != 1)
    return false;
  std::optional<SmallVector<int64_t>> columnPosition = loopPositions(op, 2);
  if (!columnPosition || columnPosition->back() < 0)
    return false;
  int64_t extraColumns = 0;
  if (bounds[2] % kColumnMultiple != 0)
    extraColumns = llvm::alignTo(bounds[2], kColumnMultiple) - bounds[2];
  else if (llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *operand) {
             return (*columnPosition)[operand->getOperandNumber()] >= 0 &&
                    aliasingRows(operand->get(), bounds[0]);
           }))
    extraColumns = kAliasPadColumns;
  if (!extraColumns)
    return false;
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> operands;
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    int64_t position = (*columnPosition)[i];
    if (position < 0) {
      operands.push_back(operand);
      continue;
    }
    Value constant = position == 1
                         ? padConstantColumns(b, loc, operand, extraColumns)
                         : Value();
    operands.push_back(constant ? constant
                                : padWithZeros(b, loc, operand, position,
                                               b.getIndexAttr(extraColumns)));
  }
  unsigned initIndex = op.getNumDpsInputs();
  linalg::GenericOp padded =
      cloneContraction(b, loc, op, ArrayRef(operands).take_front(initIndex),
                       operands[initIndex]);
  op.getResult(0).replaceAllUsesWith(
      sliceFromOrigin(b, loc, padded.getResult(0),
                      cast<RankedTensorType>(op.getResult(0).getType())));
  op.erase();
  return true;
}

/// A contraction whose row count (loop m) is dynamic becomes a loop over
/// static blocks of kRowBlock rows, which the static tiling handles: the
/// operands indexed by m are padded with zero rows to a multiple of the
/// block (copies of A and C, small next to B), and the product is sliced
/// back. One code variant per contraction keeps the compile time that of a
/// static model; a sequence of 8 rows gets exactly the code of a static one.
/// The other loop sizes must be static. Returns false when the op does not
/// have that form.
bool splitDynamicRows(linalg::GenericOp op) {
  constexpr int64_t kRowBlock = 8;
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  if (!ShapedType::isDynamic(bounds[0]) || ShapedType::isDynamic(bounds[1]) ||
      ShapedType::isDynamic(bounds[2]) || op.getNumDpsInits() != 1)
    return false;
  std::optional<SmallVector<int64_t>> positions = loopPositions(op, 0);
  if (!positions || positions->back() < 0)
    return false;
  ArrayRef<int64_t> rowPosition = *positions;
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value init = op.getDpsInits()[0];
  Value rowCount = tensor::DimOp::create(b, loc, init, rowPosition.back());
  // Rows rounded up to whole blocks.
  Value paddedRows = arith::MulIOp::create(
      b, loc,
      arith::DivUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, rowCount, index(kRowBlock - 1)),
          index(kRowBlock)),
      index(kRowBlock));
  Value extraRows = arith::SubIOp::create(b, loc, paddedRows, rowCount);
  SmallVector<Value> operands;
  for (auto [i, operand] : llvm::enumerate(op->getOperands()))
    operands.push_back(
        rowPosition[i] < 0
            ? operand
            : padWithZeros(b, loc, operand, rowPosition[i], extraRows));
  // Slices operand `i` to the block of rows from `offset` (a static type).
  auto sliceRows = [&](OpBuilder &nb, Value value, unsigned i,
                       Value offset) -> Value {
    if (rowPosition[i] < 0)
      return value;
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), nb.getIndexAttr(0)),
        sizes, strides(type.getRank(), nb.getIndexAttr(1));
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(nb.getIndexAttr(type.getDimSize(d)));
    offsets[rowPosition[i]] = offset;
    sizes[rowPosition[i]] = nb.getIndexAttr(kRowBlock);
    shape[rowPosition[i]] = kRowBlock;
    return tensor::ExtractSliceOp::create(
        nb, loc, RankedTensorType::get(shape, type.getElementType()), value,
        offsets, sizes, strides);
  };
  unsigned initIndex = op.getNumDpsInputs();
  auto loop = scf::ForOp::create(
      b, loc, index(0), paddedRows, index(kRowBlock),
      ValueRange{operands[initIndex]},
      [&](OpBuilder &nb, Location, Value offset, ValueRange carried) {
        SmallVector<Value> inputs;
        for (unsigned i = 0; i < initIndex; ++i)
          inputs.push_back(sliceRows(nb, operands[i], i, offset));
        Value blockInit = sliceRows(nb, carried[0], initIndex, offset);
        linalg::GenericOp block =
            cloneContraction(nb, loc, op, inputs, blockInit);
        auto type = cast<RankedTensorType>(carried[0].getType());
        SmallVector<OpFoldResult> offsets(type.getRank(), nb.getIndexAttr(0)),
            strides(type.getRank(), nb.getIndexAttr(1));
        offsets[rowPosition.back()] = offset;
        SmallVector<OpFoldResult> sizes =
            tensor::getMixedSizes(nb, loc, block.getResult(0));
        scf::YieldOp::create(
            nb, loc,
            tensor::InsertSliceOp::create(nb, loc, block.getResult(0),
                                          carried[0], offsets, sizes, strides)
                .getResult());
      });
  // Back to the rows of the original result.
  auto resultType = cast<RankedTensorType>(init.getType());
  SmallVector<OpFoldResult> offsets(resultType.getRank(), b.getIndexAttr(0)),
      strides(resultType.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
  Value result = tensor::ExtractSliceOp::create(
      b, loc, resultType, loop.getResult(0), offsets, sizes, strides);
  op.getResult(0).replaceAllUsesWith(result);
  op.erase();
  return true;
}

struct TileAndVectorizeContractionsPass
    : public mlir::lbc::impl::TileAndVectorizeContractionsPassBase<
          TileAndVectorizeContractionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string steps, hoists;
    int64_t id = 0;
    auto mark = [&](Operation *op) {
      op->setAttr(kIdAttr,
                  IntegerAttr::get(IntegerType::get(&getContext(), 64), id));
      steps += llvm::formatv(
          "    %op{0} = transform.structured.match attributes "
          "{{lbc.contraction_id = {0} : i64} in %root : (!transform.any_op) -> "
          "!transform.any_op\n",
          id);
    };
    // Tiles `target` with loops for the non-zero `sizes` and vectorizes the
    // tile.
    auto tileAndVectorize = [&](StringRef target, ArrayRef<int64_t> sizes,
                                StringRef extra, StringRef vectorizeOptions) {
      int64_t loops = llvm::count_if(sizes, [](int64_t s) { return s != 0; });
      std::string list;
      for (int64_t size : sizes)
        list += (list.empty() ? "" : ", ") + std::to_string(size);
      std::string results = llvm::formatv("%tiled{0}", id);
      for (int64_t i = 0; i < loops; ++i)
        results += llvm::formatv(", %loop{0}_{1}", id, i);
      steps += llvm::formatv(
          "    {0} = transform.structured.tile_using_for {1} tile_sizes [{2}] "
          "{3} : (!transform.any_op) -> {4}\n"
          "    transform.structured.vectorize %tiled{5} {6} : "
          "!transform.any_op\n",
          results, target, list, extra, anyOps(loops + 1), id,
          vectorizeOptions);
    };

    // Shapes the static tiling cannot take as they are: dynamic row counts
    // become loops over static row blocks, odd column counts are padded.
    SmallVector<linalg::GenericOp> reshaped;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kMarker) && op.getNumLoops() == 3)
        reshaped.push_back(op);
    });
    for (linalg::GenericOp op : reshaped)
      if (!splitDynamicRows(op))
        padColumns(op);

    SmallVector<linalg::GenericOp> contractions;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kMarker) && op.getNumLoops() == 3 &&
          !llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
        contractions.push_back(op);
    });
    for (linalg::GenericOp op : contractions) {
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      std::optional<TileChoice> tile =
          chooseTile(bounds[0], bounds[1], bounds[2]);
      if (!tile)
        continue;
      if (tile->depthSlices) {
        auto [partial, sum] = splitDepth(op, tile->depthSlices);
        // The slices run on the thread pool; inside one, each k step adds a
        // row of B to the partial row.
        mark(partial);
        steps += llvm::formatv(
            "    %slice{0}, %slices{0} = "
            "transform.structured.tile_using_forall "
            "%op{0} tile_sizes [1, 0, 0, 0] : (!transform.any_op) -> "
            "(!transform.any_op, !transform.any_op)\n",
            id);
        tileAndVectorize(llvm::formatv("%slice{0}", id).str(),
                         {0, 0, tile->sizes[1], tile->sizes[2]}, "", "");
        ++id;
        mark(sum);
        tileAndVectorize(llvm::formatv("%op{0}", id).str(),
                         {0, 0, tile->sizes[2]}, "", "");
        ++id;
        continue;
      }
      mark(op);
      std::string target = llvm::formatv("%op{0}", id);
      if (tile->columnBlock || tile->rowBlock) {
        // Row and column blocks are independent: they become an scf.forall,
        // which code generation runs on the thread pool.
        steps += llvm::formatv(
            "    %column{0}, %forall{0} = "
            "transform.structured.tile_using_forall "
            "%op{0} tile_sizes [{1}, 0, {2}] : (!transform.any_op) -> "
            "(!transform.any_op, !transform.any_op)\n",
            id, tile->rowBlock, tile->columnBlock);
        target = llvm::formatv("%column{0}", id);
      }
      if (tile->depthBlock) {
        // The k blocks inside a column block are sequential.
        steps += llvm::formatv(
            "    %block{0}, %bk{0} = transform.structured.tile_using_for "
            "{2} tile_sizes [0, {1}, 0] : "
            "(!transform.any_op) -> (!transform.any_op, !transform.any_op)\n",
            id, tile->depthBlock, target);
        target = llvm::formatv("%block{0}", id);
      }
      tileAndVectorize(target, tile->sizes,
                       tile->accumulateInRegisters ? "interchange = [2, 0, 1]"
                                                   : "",
                       "{create_named_contraction}");
      // With k innermost (the third loop), hoisting the accumulator's
      // read/write out of it keeps the tile in registers.
      if (tile->accumulateInRegisters)
        hoists += llvm::formatv(
            "    transform.loop.hoist_loop_invariant_subsets %loop{0}_2 : "
            "!transform.any_op\n",
            id);
      ++id;
    }
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
