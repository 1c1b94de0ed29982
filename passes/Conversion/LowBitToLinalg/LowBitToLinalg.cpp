//===- LowBitToLinalg.cpp - lowbit ops to linalg on tensors ---------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The reference lowering of packed weights: decode to f32 with one generic
// (the codec's arithmetic, element by element), then an ordinary marked
// contraction. Fused kernels replace the decode+contraction pair later and
// are tested against this.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/LowBitToLinalg/LowBitToLinalg.h"
#include "passes/Conversion/LowBitToLinalg/UkernelCalls.h"
#include "passes/Conversion/Passes.h"

#include "dialects/LowBit/LowBitDialect.h"
#include "lib/Support/Hadamard.h"
#include "runtime/cpu/ukernels/PreparedRow.h"
#include "runtime/cpu/ukernels/QuantizedActivations.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_CONVERTLOWBITTOLINALGPASS
#include "passes/Conversion/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;
using namespace mlir::lbc;
using namespace mlir::lbc::lowbit;

namespace {

constexpr llvm::StringLiteral kContractionMarker = "lbc.contraction";

/// Scalar reads of a packed blob (`bytes`, a tensor<Bxi8>) inside a
/// generic body: the building blocks of the format decoders below.
class BlobReader {
protected:
  BlobReader(OpBuilder &b, Location loc, Value bytes)
      : b(b), loc(loc), bytes(bytes) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t v) {
    return arith::MulIOp::create(b, loc, x, index(v));
  }
  Value div(Value x, int64_t v) {
    return arith::DivUIOp::create(b, loc, x, index(v));
  }
  Value rem(Value x, int64_t v) {
    return arith::RemUIOp::create(b, loc, x, index(v));
  }
  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }

  /// Byte `at` (an index) of the blob, zero-extended to i32.
  Value byteAt(Value at) {
    Value byte = tensor::ExtractOp::create(b, loc, bytes, ValueRange{at});
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), byte);
  }

  /// `count` little-endian bytes from `at` as an i32.
  Value littleEndian(Value at, int count) {
    Value word = byteAt(at);
    for (int i = 1; i < count; ++i)
      word = arith::OrIOp::create(
          b, loc, word,
          arith::ShLIOp::create(b, loc, byteAt(add(at, index(i))), i32(8 * i)));
    return word;
  }

  /// The 16-bit float (f16 or bf16 `type`) at `at`, as f32.
  Value halfAt(Value at, Type type) {
    Value half =
        arith::TruncIOp::create(b, loc, b.getI16Type(), littleEndian(at, 2));
    return arith::ExtFOp::create(
        b, loc, b.getF32Type(),
        arith::BitcastOp::create(b, loc, type, half).getResult());
  }

  /// (value >> shift) & mask on i32 values.
  Value bitField(Value value, Value shift, int64_t mask) {
    return arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, value, shift), i32(mask));
  }

  OpBuilder &b;
  Location loc;
  Value bytes;
};

/// Builds the scalar decode of element (row, col) of a group-wise packed
/// weight inside a generic body.
class ScalarDecoder : BlobReader {
public:
  ScalarDecoder(OpBuilder &b, Location loc, Value bytes,
                const ::lbc::GroupwiseFormat &format,
                const ::lbc::GroupwiseLayout &layout)
      : BlobReader(b, loc, bytes), format(format), layout(layout) {}

  /// The f32 value of the weight at (row, col), both index values.
  Value decode(Value row, Value col) {
    int64_t groupSize = format.groupSize;
    Value group = div(col, groupSize);
    Value within = rem(col, groupSize);
    Value groupIndex = add(mul(row, layout.groupsPerRow), group);
    Value codesStart =
        add(mul(groupIndex, layout.groupBytes), index(layout.codesOffset));
    Value code = readCode(codesStart, within);
    Value centered;
    Type f32 = b.getF32Type();
    Value codeFloat = arith::UIToFPOp::create(b, loc, f32, code);
    if (format.symmetric) {
      centered = arith::SubFOp::create(
          b, loc, codeFloat,
          arith::ConstantOp::create(
              b, loc, b.getF32FloatAttr(float(1u << (format.bits - 1)))));
    } else {
      Value zeroPoint =
          readScalar(format.zeroPointKind, layout.zeroPointsOffset, groupIndex);
      centered = arith::SubFOp::create(b, loc, codeFloat, zeroPoint);
    }
    Value scale = readScalar(format.scaleKind, layout.scalesOffset, groupIndex);
    return arith::MulFOp::create(b, loc, centered, scale);
  }

private:
  /// The code (an i32 below 2^bits) of element `within` of the group whose
  /// code bytes start at `start`.
  Value readCode(Value start, Value within) {
    unsigned bits = format.bits;
    Value mask = i32((1 << bits) - 1);
    if (format.order == ::lbc::PackOrder::SplitHalves) {
      // Byte j: code j in the low nibble, code j + groupSize/2 in the high.
      int64_t half = format.groupSize / 2;
      Value high = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                         within, index(half));
      Value byte = byteAt(add(start, rem(within, half)));
      Value shift = arith::SelectOp::create(b, loc, high, i32(4), i32(0));
      return arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, byte, shift), mask);
    }
    // LSB first: bits [within * bits, (within + 1) * bits) of the group's
    // bit stream. Codes that cross a byte boundary read two bytes; the
    // second never leaves the group (a group ends on a byte boundary).
    Value bit = mul(within, bits);
    Value at = add(start, div(bit, 8));
    Value shift =
        arith::IndexCastOp::create(b, loc, b.getI32Type(), rem(bit, 8));
    Value word = byteAt(at);
    if (8 % bits != 0) {
      Value last = index(layout.totalBytes - 1);
      Value next = arith::MinUIOp::create(b, loc, add(at, index(1)), last);
      word = arith::OrIOp::create(
          b, loc, word, arith::ShLIOp::create(b, loc, byteAt(next), i32(8)));
    }
    return arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, word, shift), mask);
  }

  /// The scale or zero point of group `groupIndex` from the section at
  /// `offset`, as f32.
  Value readScalar(::lbc::ScalarKind kind, int64_t offset, Value groupIndex) {
    unsigned size = ::lbc::scalarByteSize(kind);
    Value at = add(mul(groupIndex, size), index(offset));
    Type f32 = b.getF32Type();
    switch (kind) {
    case ::lbc::ScalarKind::U8:
      return arith::UIToFPOp::create(b, loc, f32, byteAt(at));
    case ::lbc::ScalarKind::F32:
      return arith::BitcastOp::create(b, loc, f32, littleEndian(at, 4));
    case ::lbc::ScalarKind::F16:
    case ::lbc::ScalarKind::BF16:
      return halfAt(at, kind == ::lbc::ScalarKind::F16 ? Type(b.getF16Type())
                                                       : Type(b.getBF16Type()));
    case ::lbc::ScalarKind::None:
      break;
    }
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  }

  const ::lbc::GroupwiseFormat &format;
  const ::lbc::GroupwiseLayout &layout;
};

/// Builds the scalar decode of element (row, col) of an NF4 packed weight
/// (lib/Support/Nf4Codec.h) inside a generic body: codebook[q] * absmax,
/// the codebook being `table`, a tensor<16xf32> defined outside the body.
class Nf4Decoder : BlobReader {
public:
  Nf4Decoder(OpBuilder &b, Location loc, Value bytes, Value table,
             const ::lbc::Nf4Format &format, const ::lbc::Nf4Layout &layout)
      : BlobReader(b, loc, bytes), table(table), format(format),
        layout(layout) {}

  Value decode(Value row, Value col) {
    int64_t half = format.blockSize / 2;
    Value block =
        add(mul(row, layout.blocksPerRow), div(col, format.blockSize));
    Value within = rem(col, format.blockSize);
    Value byte = byteAt(
        add(add(mul(block, layout.blockBytes), index(layout.codesOffset)),
            rem(within, half)));
    Value high = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                       within, index(half));
    Value shift = arith::SelectOp::create(b, loc, high, i32(4), i32(0));
    Value code = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                            bitField(byte, shift, 15));
    Value value = tensor::ExtractOp::create(b, loc, table, ValueRange{code});
    Value scale =
        halfAt(add(mul(block, 2), index(layout.scalesOffset)), b.getF16Type());
    return arith::MulFOp::create(b, loc, value, scale);
  }

private:
  Value table;
  const ::lbc::Nf4Format &format;
  const ::lbc::Nf4Layout &layout;
};

/// Builds the scalar decode of element (row, col) of a K-quant packed weight
/// (lib/Support/KQuantCodec.h) inside a generic body, in the codec's order
/// of operations: (d * sc) * q - dmin * m.
class KQuantDecoder : BlobReader {
public:
  KQuantDecoder(OpBuilder &b, Location loc, Value bytes,
                const ::lbc::KQuantFormat &format,
                const ::lbc::KQuantLayout &layout)
      : BlobReader(b, loc, bytes), format(format), layout(layout) {}

  Value decode(Value row, Value col) {
    if (::lbc::isSymmetricKQuant(format.bits))
      return decodeSymmetric(row, col);
    Value block = div(col, ::lbc::kKQuantSuperBlock);
    Value within = rem(col, ::lbc::kKQuantSuperBlock);
    Value subBlock = div(within, ::lbc::kKQuantSubBlock);
    Value element = rem(within, ::lbc::kKQuantSubBlock);
    Value blockIndex = add(mul(row, layout.superBlocksPerRow), block);
    // Code: byte 32 * (j / 2) + i of the block, low nibble for even j.
    Value codeAt = add(
        add(mul(blockIndex, layout.superBlockBytes), index(layout.codesOffset)),
        add(mul(div(subBlock, 2), 32), element));
    Value codeShift = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                                 mul(rem(subBlock, 2), 4));
    Value code = bitField(byteAt(codeAt), codeShift, 15);
    if (format.bits == 5) {
      // Fifth bit: position (j / 2) * 64 + (j % 2) * 32 + i of the plane
      // after the 128 nibble bytes.
      Value position = add(
          add(mul(div(subBlock, 2), 64), mul(rem(subBlock, 2), 32)), element);
      Value planeAt = add(add(mul(blockIndex, layout.superBlockBytes),
                              index(layout.codesOffset + 128)),
                          div(position, 8));
      Value bitShift =
          arith::IndexCastOp::create(b, loc, b.getI32Type(), rem(position, 8));
      Value high = bitField(byteAt(planeAt), bitShift, 1);
      code = arith::OrIOp::create(b, loc, code,
                                  arith::ShLIOp::create(b, loc, high, i32(4)));
    }
    Value header = add(mul(blockIndex, ::lbc::kquantHeaderBytes(format.bits)),
                       index(layout.headersOffset));
    Value d = halfAt(header, b.getF16Type());
    Value dmin = halfAt(add(header, index(2)), b.getF16Type());
    Value scale = headerValue(header, subBlock);
    Value min = headerValue(header, add(subBlock, index(8)));
    Type f32 = b.getF32Type();
    auto toFloat = [&](Value v) {
      return arith::UIToFPOp::create(b, loc, f32, v).getResult();
    };
    Value step = arith::MulFOp::create(b, loc, d, toFloat(scale));
    Value value = arith::MulFOp::create(b, loc, step, toFloat(code));
    Value offset = arith::MulFOp::create(b, loc, dmin, toFloat(min));
    return arith::SubFOp::create(b, loc, value, offset);
  }

private:
  Value asI32(Value x) {
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), x).getResult();
  }

  /// q3k / q6k: (d * sc[j]) * (q - 2^(bits-1)), codes at position t of
  /// 64-weight piece p (symmetricKQuantCode in KQuantCodec.h).
  Value decodeSymmetric(Value row, Value col) {
    Value block = div(col, ::lbc::kKQuantSuperBlock);
    Value within = rem(col, ::lbc::kKQuantSuperBlock);
    Value piece = div(within, 64), t = rem(within, 64);
    Value blockIndex = add(mul(row, layout.superBlocksPerRow), block);
    Value codes =
        add(mul(blockIndex, layout.superBlockBytes), index(layout.codesOffset));
    auto field = [&](int64_t base, int64_t pieceBytes, Value byte, Value shift,
                     int64_t mask) {
      return bitField(
          byteAt(
              add(codes, add(index(base), add(mul(piece, pieceBytes), byte)))),
          asI32(shift), mask);
    };
    auto shl = [&](Value v, int64_t amount) {
      return arith::ShLIOp::create(b, loc, v, i32(amount)).getResult();
    };
    Value code;
    if (format.bits == 6)
      code = arith::OrIOp::create(
          b, loc, field(0, 32, rem(t, 32), mul(div(t, 32), 4), 15),
          shl(field(128, 16, rem(t, 16), mul(div(t, 16), 2), 3), 4));
    else
      code = arith::OrIOp::create(
          b, loc, field(0, 16, rem(t, 16), mul(div(t, 16), 2), 3),
          shl(field(64, 8, div(t, 8), rem(t, 8), 1), 2));
    Value header = add(mul(blockIndex, ::lbc::kquantHeaderBytes(format.bits)),
                       index(layout.headersOffset));
    Value subBlock = div(within, ::lbc::kKQuantSymmetricSubBlock);
    Value scale;
    if (format.bits == 6) {
      // sc[j] is a signed byte.
      Value byte = byteAt(add(header, add(index(2), subBlock)));
      Value narrow = arith::TruncIOp::create(b, loc, b.getI8Type(), byte);
      scale = arith::ExtSIOp::create(b, loc, b.getI32Type(), narrow);
    } else {
      scale = arith::SubIOp::create(b, loc, headerValue(header, subBlock, 2),
                                    i32(32));
    }
    Type f32 = b.getF32Type();
    Value d = halfAt(header, b.getF16Type());
    Value step = arith::MulFOp::create(
        b, loc, d, arith::SIToFPOp::create(b, loc, f32, scale));
    Value centred = arith::SubIOp::create(b, loc, code,
                                          i32(int64_t(1) << (format.bits - 1)));
    return arith::MulFOp::create(b, loc, step,
                                 arith::SIToFPOp::create(b, loc, f32, centred));
  }

  /// Six-bit header value `v` (an index) of values packed from byte
  /// `first`: low nibble from byte first + v % 8 (high nibble when v >= 8),
  /// bits 4-5 from byte first + 8 + v / 4.
  Value headerValue(Value header, Value v, int64_t first = 4) {
    Value low = bitField(byteAt(add(header, add(index(first), rem(v, 8)))),
                         asI32(mul(div(v, 8), 4)), 15);
    Value high = bitField(byteAt(add(header, add(index(first + 8), div(v, 4)))),
                          asI32(mul(rem(v, 4), 2)), 3);
    return arith::OrIOp::create(b, loc, low,
                                arith::ShLIOp::create(b, loc, high, i32(4)));
  }

  const ::lbc::KQuantFormat &format;
  const ::lbc::KQuantLayout &layout;
};

/// The f32 form of the packed weight `packed` (a lowbit.constant result):
/// [rows, K] as stored, or [K, rows] when `transposed`. Null when the weight
/// is not a group-wise constant.
Value decodeWeight(PatternRewriter &rewriter, Location loc, Value packed,
                   bool transposed) {
  auto constant = packed.getDefiningOp<lowbit::ConstantOp>();
  auto type = dyn_cast<PackedWeightType>(packed.getType());
  if (!constant || !type ||
      !isa<GroupwiseEncodingAttr, KQuantEncodingAttr, Nf4EncodingAttr>(
          type.getEncoding()))
    return {};
  RankedTensorType logical = type.getLogicalType();
  int64_t cols = logical.getShape().back();
  int64_t rows = logical.getNumElements() / std::max<int64_t>(cols, 1);
  auto bytesAttr = cast<TypedAttr>(constant.getValue());
  Value bytes = arith::ConstantOp::create(rewriter, loc, bytesAttr);
  // The NF4 codebook, read by the decode body.
  Value table;
  if (isa<Nf4EncodingAttr>(type.getEncoding()))
    table = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({16}, rewriter.getF32Type()),
            ArrayRef<float>(::lbc::kNf4Codebook, 16)));
  SmallVector<int64_t> shape = {rows, cols};
  if (transposed)
    std::swap(shape[0], shape[1]);
  Value init =
      tensor::EmptyOp::create(rewriter, loc, shape, rewriter.getF32Type());
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      {rewriter.getMultiDimIdentityMap(2)}, iterators,
      [&](OpBuilder &b, Location l, ValueRange) {
        Value i = linalg::IndexOp::create(b, l, 0);
        Value j = linalg::IndexOp::create(b, l, 1);
        Value row = transposed ? j : i, col = transposed ? i : j;
        Value value;
        if (auto nf4 = dyn_cast<Nf4EncodingAttr>(type.getEncoding())) {
          ::lbc::Nf4Format format = nf4.toFormat();
          ::lbc::Nf4Layout layout = ::lbc::computeNf4Layout(format, rows, cols);
          value =
              Nf4Decoder(b, l, bytes, table, format, layout).decode(row, col);
        } else if (auto kquant =
                       dyn_cast<KQuantEncodingAttr>(type.getEncoding())) {
          ::lbc::KQuantFormat format = kquant.toFormat();
          ::lbc::KQuantLayout layout =
              ::lbc::computeKQuantLayout(format, rows, cols);
          value = KQuantDecoder(b, l, bytes, format, layout).decode(row, col);
        } else {
          ::lbc::GroupwiseFormat format =
              cast<GroupwiseEncodingAttr>(type.getEncoding()).toFormat();
          ::lbc::GroupwiseLayout layout =
              ::lbc::computeLayout(format, rows, cols);
          value = ScalarDecoder(b, l, bytes, format, layout).decode(row, col);
        }
        linalg::YieldOp::create(b, l, value);
      });
  return generic.getResult(0);
}

/// linalg.fill of zeros of `type` with the dynamic sizes in `sizes`.
Value zeros(OpBuilder &b, Location loc, RankedTensorType type,
            ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType(), dynamicSizes);
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}

/// The reference of lowbit.linear's activation_bits: rows [rows, K]
/// quantized per block of 32 channels (or per row when `perToken`) and
/// dequantized again (f32 in, f32 out), in plain linalg: pad K to whole
/// blocks (zeros leave max|x| as it is), view as [rows, blocks, block],
/// reduce max|x| per block, round.
Value fakeQuantizeRows(OpBuilder &b, Location loc, Value rowsInput,
                       int64_t bits, bool perToken, float clip) {
  auto type = cast<RankedTensorType>(rowsInput.getType());
  int64_t rows = type.getDimSize(0), k = type.getDimSize(1);
  const int64_t block = perToken ? k : ::lbc::ukernels::kActivationBlock;
  int64_t blocks = (k + block - 1) / block, padded = blocks * block;
  Type f32 = b.getF32Type();
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(rows))
    dynamicRows.push_back(tensor::DimOp::create(b, loc, rowsInput, 0));
  Value x = rowsInput;
  if (padded != k)
    x = tensor::PadOp::create(
        b, loc, RankedTensorType::get({rows, padded}, f32), x,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(padded - k)},
        zero);
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  SmallVector<OpFoldResult> blockedSizes = {
      dynamicRows.empty() ? OpFoldResult(b.getIndexAttr(rows))
                          : OpFoldResult(dynamicRows[0]),
      b.getIndexAttr(blocks), b.getIndexAttr(block)};
  auto blockedType = RankedTensorType::get({rows, blocks, block}, f32);
  Value blocked = tensor::ExpandShapeOp::create(b, loc, blockedType, x, split,
                                                blockedSizes);
  MLIRContext *context = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(3);
  AffineMap perBlock = AffineMap::get(
      3, 0, {getAffineDimExpr(0, context), getAffineDimExpr(1, context)},
      context);
  auto maxType = RankedTensorType::get({rows, blocks}, f32);
  Value maxInit =
      tensor::EmptyOp::create(b, loc, maxType.getShape(), f32, dynamicRows);
  maxInit =
      linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{maxInit})
          .getResult(0);
  Value absMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{maxType}, ValueRange{blocked}, ValueRange{maxInit},
          {identity, perBlock},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value magnitude = math::AbsFOp::create(nb, l, args[0]);
            linalg::YieldOp::create(
                nb, l,
                arith::MaximumFOp::create(nb, l, args[1], magnitude)
                    .getResult());
          })
          .getResult(0);
  float largest = float((int64_t(1) << (bits - 1)) - 1);
  Value quantInit =
      tensor::EmptyOp::create(b, loc, blockedType.getShape(), f32, dynamicRows);
  Value quantized =
      linalg::GenericOp::create(
          b, loc, TypeRange{blockedType}, ValueRange{blocked, absMax},
          ValueRange{quantInit}, {identity, perBlock, identity},
          SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto constant = [&](float v) {
              return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
            };
            // (clip * max|x|) / Q: the kernel's order of operations.
            Value scale = arith::DivFOp::create(
                nb, l, arith::MulFOp::create(nb, l, args[1], constant(clip)),
                constant(largest));
            Value code = math::RoundOp::create(
                nb, l, arith::DivFOp::create(nb, l, args[0], scale));
            code = arith::MinimumFOp::create(
                nb, l,
                arith::MaximumFOp::create(nb, l, code, constant(-largest)),
                constant(largest));
            Value value = arith::MulFOp::create(nb, l, code, scale);
            Value empty = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, scale, constant(0.0f));
            linalg::YieldOp::create(
                nb, l,
                arith::SelectOp::create(nb, l, empty, constant(0.0f), value)
                    .getResult());
          })
          .getResult(0);
  Value flat = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({rows, padded}, f32), quantized, split);
  if (padded == k)
    return flat;
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {blockedSizes[0], b.getIndexAttr(k)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  return tensor::ExtractSliceOp::create(b, loc, type, flat, offsets, sizes,
                                        strides);
}

/// The clipping ratio of a linear's activation quantization (1: none).
float activationClip(LinearOp op) {
  FloatAttr clip = op.getActivationClipAttr();
  return clip ? static_cast<float>(clip.getValueAsDouble()) : 1.0f;
}

/// The microkernel for packed linears (runtime/cpu/ukernels), called with
/// buffer addresses: (x, rows, k, xStride, packed, n, nBegin, nEnd, y,
/// yStride, bits, groupSize, zeroPoints, prepared) -> status, after its
/// prepare kernel (x, rows, k, xStride, prepared, bits, groupSize,
/// zeroPoints) -> status has written the one-row kernels' form of x into
/// `prepared` (PreparedRow.h).
constexpr llvm::StringLiteral kGroupwiseLinearUkernel =
    "lbc_ukernel_groupwise_linear";
constexpr llvm::StringLiteral kGroupwisePrepareRowUkernel =
    "lbc_ukernel_groupwise_prepare_row";
/// The a8 pair (QuantizedActivations.h): (x, rows, k, xStride, out, bits,
/// groupSize, activationBits, perToken, clip as f32 bits) -> status, then (qx,
/// rows, k, packed, n, nBegin, nEnd, y, yStride, bits, groupSize) -> status.
constexpr llvm::StringLiteral kQuantizeActivationsUkernel =
    "lbc_ukernel_quantize_activations";
constexpr llvm::StringLiteral kGroupwiseLinearA8Ukernel =
    "lbc_ukernel_groupwise_linear_a8";
/// The K-quant kernels: the group-wise calls (prepare kernel included) with
/// (bits) as their format; the a8 one reads codes quantized for 4 bits with
/// groups of 64 (a K-quant piece's code order, whatever its bits).
constexpr llvm::StringLiteral kKQuantLinearUkernel =
    "lbc_ukernel_kquant_linear";
constexpr llvm::StringLiteral kKQuantPrepareRowUkernel =
    "lbc_ukernel_kquant_prepare_row";
constexpr llvm::StringLiteral kKQuantLinearA8Ukernel =
    "lbc_ukernel_kquant_linear_a8";
/// NF4 on f32 inputs: the group-wise call with (blockSize) as its format.
constexpr llvm::StringLiteral kNf4LinearUkernel = "lbc_ukernel_nf4_linear";

/// Which microkernel a packed linear calls, and with what trailing
/// arguments; for the a8 kernels also the (bits, group size) whose code order
/// lbc_ukernel_quantize_activations must write.
struct UkernelChoice {
  llvm::StringLiteral kernel;
  SmallVector<int64_t> formatArguments;
  int64_t activationCodeBits = 0, activationCodeGroup = 0;
  /// The kernel that prepares x once for all of the kernel's calls, if it
  /// has one (then the kernel takes the prepared buffer last).
  llvm::StringLiteral prepareRow = "";
};

/// The microkernel for a linear over a weight of `encoding` with `k` inputs,
/// if one exists: group-wise f16-scaled codes (4-bit split halves, 2- to 8-bit
/// lsb-first) in groups of a multiple of 32, symmetric or with f16
/// zero points (a8: groups of 32 or a multiple of 64), K-quant
/// weights with k a multiple of 256, and NF4.
std::optional<UkernelChoice>
chooseUkernel(Attribute encoding, int64_t k,
              std::optional<uint64_t> activationBits) {
  if (auto kquant = dyn_cast<KQuantEncodingAttr>(encoding)) {
    if (k % ::lbc::kKQuantSuperBlock != 0)
      return std::nullopt;
    int64_t bits = kquant.getBits();
    if (!activationBits)
      return UkernelChoice{
          kKQuantLinearUkernel, {bits}, 0, 0, kKQuantPrepareRowUkernel};
    // The symmetric K-quants read the lane corrections of their code
    // offset; the others subtract their mins from block sums.
    int64_t codeBits = ::lbc::isSymmetricKQuant(bits) ? bits : 4;
    return UkernelChoice{kKQuantLinearA8Ukernel, {bits}, codeBits, 64};
  }
  if (auto nf4 = dyn_cast<Nf4EncodingAttr>(encoding)) {
    // NF4 values are not integers: no int8 kernel (a8 takes the reference).
    if (activationBits)
      return std::nullopt;
    return UkernelChoice{kNf4LinearUkernel, {nf4.getBlockSize()}};
  }
  auto groupwise = dyn_cast<GroupwiseEncodingAttr>(encoding);
  if (!groupwise)
    return std::nullopt;
  ::lbc::GroupwiseFormat format = groupwise.toFormat();
  // 4-bit codes in split-halves order (Q4_0's), other widths lsb-first.
  bool codes = format.bits == 4 ? format.order == ::lbc::PackOrder::SplitHalves
                                : format.order == ::lbc::PackOrder::LsbFirst;
  // f16 zero points (the wBz recipes) are read by the f32-input kernel.
  bool zeroPoints = !format.symmetric;
  if (!codes || format.scaleKind != ::lbc::ScalarKind::F16 ||
      format.groupSize % 32 != 0 ||
      (zeroPoints && format.zeroPointKind != ::lbc::ScalarKind::F16))
    return std::nullopt;
  if (!activationBits)
    return UkernelChoice{kGroupwiseLinearUkernel,
                         {format.bits, format.groupSize, zeroPoints},
                         0,
                         0,
                         kGroupwisePrepareRowUkernel};
  if (!::lbc::ukernels::a8KernelHandles(format.bits, format.groupSize))
    return std::nullopt;
  return UkernelChoice{kGroupwiseLinearA8Ukernel,
                       {format.bits, format.groupSize, zeroPoints},
                       format.bits,
                       format.groupSize};
}

/// (x, rows, k, xStride, qx, codeBits, codeGroup, activationBits, perToken,
/// clip as f32 bits, powerOfTwo, hk, factor) -> status: the quantization
/// of x M_n, rotated row by row in cache.
constexpr llvm::StringLiteral kQuantizeRotatedActivationsUkernel =
    "lbc_ukernel_quantize_rotated_activations";

/// The microkernel of `linear` and its input width, when it has one.
std::optional<UkernelChoice> linearUkernel(LinearOp linear) {
  auto packedType = dyn_cast<PackedWeightType>(linear.getWeight().getType());
  auto constant = linear.getWeight().getDefiningOp<lowbit::ConstantOp>();
  auto inputType = cast<RankedTensorType>(linear.getInput().getType());
  if (!packedType || !constant || linear.getBias() || inputType.getRank() < 2 ||
      llvm::count_if(inputType.getShape().drop_back(), ShapedType::isDynamic) >
          1)
    return std::nullopt;
  return chooseUkernel(packedType.getEncoding(), inputType.getShape().back(),
                       linear.getActivationBits());
}

} // namespace

bool mlir::lbc::fusesIntoInputQuantization(lowbit::HadamardOp rotation) {
  if (!rotation->hasOneUse())
    return false;
  auto linear = dyn_cast<LinearOp>(*rotation->user_begin());
  int64_t n =
      cast<RankedTensorType>(rotation.getInput().getType()).getShape().back();
  return linear && linear.getInput() == rotation.getResult() &&
         linear.getActivationBits() && linearUkernel(linear) &&
         n <= ::lbc::ukernels::kMaxRotatedInputs &&
         ::lbc::factorHadamardSize(n);
}

namespace {

/// Packed linears of a format the microkernel handles become calls to it:
/// the weight is decoded group by group in registers, never to f32 in
/// memory. The output columns are split into blocks that run in parallel.
struct LinearToUkernel : OpRewritePattern<LinearOp> {
  LinearToUkernel(MLIRContext *context)
      : OpRewritePattern(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto constant = op.getWeight().getDefiningOp<lowbit::ConstantOp>();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    int64_t k = inputType.getShape().back(), n = resultType.getShape().back();
    std::optional<uint64_t> activationBits = op.getActivationBits();
    std::optional<UkernelChoice> choice = linearUkernel(op);
    if (!choice)
      return rewriter.notifyMatchFailure(op, "no microkernel for this linear");
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    // An online rotation of the input is applied while quantizing it.
    auto rotation = op.getInput().getDefiningOp<lowbit::HadamardOp>();
    if (rotation && !fusesIntoInputQuantization(rotation))
      rotation = {};

    // x (before the rotation, if fused) as [rows, k] in an identity-layout
    // buffer.
    Value rowsInput = collapseToRows(
        rewriter, loc, rotation ? rotation.getInput() : op.getInput());
    int64_t rows = cast<RankedTensorType>(rowsInput.getType()).getDimSize(0);
    Value inputBuffer = bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get({rows, k}, rewriter.getF32Type()),
        rowsInput, /*read_only=*/true);
    auto bytesAttr = cast<TypedAttr>(constant.getValue());
    Value bytes = arith::ConstantOp::create(rewriter, loc, bytesAttr);
    auto bytesType = cast<RankedTensorType>(bytes.getType());
    Value weightBuffer = bufferization::ToBufferOp::create(
        rewriter, loc,
        MemRefType::get(bytesType.getShape(), bytesType.getElementType()),
        bytes, /*read_only=*/true);
    Value rowCount;
    Value outputBuffer =
        allocateRowsOutput(rewriter, loc, rowsInput, n, rowCount);

    auto i64 = [&](int64_t v) {
      return arith::ConstantIntOp::create(rewriter, loc, v, 64).getResult();
    };
    Value x = bufferAddress(rewriter, loc, inputBuffer);
    Value w = bufferAddress(rewriter, loc, weightBuffer);
    Value y = bufferAddress(rewriter, loc, outputBuffer);
    Value rows64 = arith::IndexCastOp::create(rewriter, loc,
                                              rewriter.getI64Type(), rowCount);
    SmallVector<Value> formatArguments;
    for (int64_t argument : choice->formatArguments)
      formatArguments.push_back(i64(argument));
    // Kernel arguments: the input (x, rows, k[, xStride]), the weight (w, n),
    // the block of outputs (begin, end), the output (y, yStride), then the
    // format's own.
    SmallVector<Value> leading = {x, rows64, i64(k), i64(k)};
    if (activationBits) {
      // The rows' int8 codes, written once, read by every column block.
      int64_t rowBytes =
          ::lbc::ukernels::activationLayout(k, choice->activationCodeGroup)
              .rowBytes;
      SmallVector<Value> dynamicBytes;
      if (ShapedType::isDynamic(rows))
        dynamicBytes.push_back(arith::MulIOp::create(
            rewriter, loc, rowCount,
            arith::ConstantIndexOp::create(rewriter, loc, rowBytes)));
      Value scratch = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get({ShapedType::isDynamic(rows) ? ShapedType::kDynamic
                                                       : rows * rowBytes},
                          rewriter.getI8Type()),
          dynamicBytes, rewriter.getI64IntegerAttr(64));
      Value qx = bufferAddress(rewriter, loc, scratch);
      SmallVector<Value> arguments = {
          x,
          rows64,
          i64(k),
          i64(k),
          qx,
          i64(choice->activationCodeBits),
          i64(choice->activationCodeGroup),
          i64(*activationBits),
          i64(op.getActivationPerToken()),
          i64(llvm::bit_cast<uint32_t>(activationClip(op)))};
      llvm::StringLiteral quantize = kQuantizeActivationsUkernel;
      if (rotation) {
        ::lbc::HadamardSize size = *::lbc::factorHadamardSize(k);
        Value factor = bufferAddress(
            rewriter, loc, hadamardFactorBuffer(rewriter, loc, k, size.k));
        arguments.append({i64(size.powerOfTwo), i64(size.k), factor});
        quantize = kQuantizeRotatedActivationsUkernel;
      }
      declareUkernel(module, rewriter, quantize, arguments.size());
      func::CallOp::create(rewriter, loc, quantize,
                           TypeRange{rewriter.getI64Type()}, arguments);
      // Quantized rows are contiguous: no stride.
      leading = {qx, rows64, i64(k)};
    }
    SmallVector<Value> trailing = formatArguments;
    if (!choice->prepareRow.empty()) {
      // x in the one-row kernels' form, written once, read by every column
      // block (a no-op on CPUs whose kernels read x itself).
      Value prepared = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get({::lbc::ukernels::preparedRowBytes(k)},
                          rewriter.getI8Type()),
          ValueRange(), rewriter.getI64IntegerAttr(64));
      Value preparedAddress = bufferAddress(rewriter, loc, prepared);
      SmallVector<Value> arguments = leading;
      arguments.push_back(preparedAddress);
      arguments.append(formatArguments);
      declareUkernel(module, rewriter, choice->prepareRow, arguments.size());
      func::CallOp::create(rewriter, loc, choice->prepareRow,
                           TypeRange{rewriter.getI64Type()}, arguments);
      trailing.push_back(preparedAddress);
    }
    unsigned arity = leading.size() + 6 + trailing.size();
    declareUkernel(module, rewriter, choice->kernel, arity);
    auto call = [&](OpBuilder &b, Value begin, Value end) {
      SmallVector<Value> arguments = leading;
      arguments.append({w, i64(n), begin, end, y, i64(n)});
      arguments.append(trailing);
      func::CallOp::create(b, loc, choice->kernel, TypeRange{b.getI64Type()},
                           arguments);
    };
    // Column blocks of at least 128 outputs run in parallel when there are
    // enough of them to be worth waking the thread pool.
    constexpr int64_t kColumnBlock = 128, kMinParallelWork = 256 * 1024;
    int64_t blocks = n % kColumnBlock == 0 && n * k >= kMinParallelWork
                         ? std::min<int64_t>(n / kColumnBlock, 16)
                         : 1;
    while (n % blocks != 0)
      --blocks;
    if (blocks == 1) {
      call(rewriter, i64(0), i64(n));
    } else {
      int64_t width = n / blocks;
      parallelBlocks(rewriter, loc, blocks, [&](OpBuilder &b, Value block) {
        Value begin = arith::MulIOp::create(
            b, loc, block, arith::ConstantIntOp::create(b, loc, width, 64));
        Value end = arith::AddIOp::create(
            b, loc, begin, arith::ConstantIntOp::create(b, loc, width, 64));
        call(b, begin, end);
      });
    }
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({rows, n}, rewriter.getF32Type()),
        outputBuffer, rewriter.getUnitAttr(), rewriter.getUnitAttr());
    result =
        restoreRows(rewriter, loc, result,
                    rotation ? rotation.getInput() : op.getInput(), resultType);
    rewriter.replaceOp(op, result);
    if (rotation)
      rewriter.eraseOp(rotation);
    return success();
  }
};

struct LinearToContraction : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    if (llvm::count_if(inputType.getShape().drop_back(),
                       ShapedType::isDynamic) > 1)
      return rewriter.notifyMatchFailure(op, "more than one dynamic row dim");
    // W^T as [K, N]: decoded from packed bytes, or a transpose of a dense W.
    Value weightT;
    if (isa<PackedWeightType>(op.getWeight().getType())) {
      weightT = decodeWeight(rewriter, loc, op.getWeight(), true);
      if (!weightT)
        return rewriter.notifyMatchFailure(op, "unsupported packed weight");
    } else {
      auto weightType = cast<RankedTensorType>(op.getWeight().getType());
      Value init = tensor::EmptyOp::create(
          rewriter, loc,
          ArrayRef<int64_t>{weightType.getDimSize(1), weightType.getDimSize(0)},
          weightType.getElementType());
      weightT = linalg::TransposeOp::create(rewriter, loc, op.getWeight(), init,
                                            ArrayRef<int64_t>{1, 0})
                    .getResult()[0];
    }
    int64_t n = resultType.getShape().back();
    // Rows: the input's leading dims collapsed into one.
    Value rowsInput = collapseToRows(rewriter, loc, input);
    int64_t rows = cast<RankedTensorType>(rowsInput.getType()).getDimSize(0);
    if (std::optional<uint64_t> bits = op.getActivationBits())
      rowsInput =
          fakeQuantizeRows(rewriter, loc, rowsInput, *bits,
                           op.getActivationPerToken(), activationClip(op));
    auto productType =
        RankedTensorType::get({rows, n}, resultType.getElementType());
    SmallVector<Value> dynamicRows;
    if (ShapedType::isDynamic(rows))
      dynamicRows.push_back(tensor::DimOp::create(rewriter, loc, rowsInput, 0));
    Value init = zeros(rewriter, loc, productType, dynamicRows);
    MLIRContext *context = rewriter.getContext();
    auto map = [&](unsigned a, unsigned b) {
      return AffineMap::get(
          3, 0, {getAffineDimExpr(a, context), getAffineDimExpr(b, context)},
          context);
    };
    auto contraction = linalg::GenericOp::create(
        rewriter, loc, TypeRange{productType}, ValueRange{rowsInput, weightT},
        ValueRange{init}, {map(0, 1), map(1, 2), map(0, 2)},
        {utils::IteratorType::parallel, utils::IteratorType::reduction,
         utils::IteratorType::parallel},
        [](OpBuilder &b, Location l, ValueRange args) {
          auto contract = arith::FastMathFlags::contract;
          Value product =
              arith::MulFOp::create(b, l, args[0], args[1], contract);
          linalg::YieldOp::create(
              b, l,
              arith::AddFOp::create(b, l, args[2], product, contract)
                  .getResult());
        });
    contraction->setAttr(kContractionMarker, rewriter.getUnitAttr());
    Value result = contraction.getResult(0);
    result = restoreRows(rewriter, loc, result, input, resultType);
    if (Value bias = op.getBias()) {
      // result[..., n] + bias[n].
      int64_t resultRank = resultType.getRank();
      SmallVector<AffineMap> maps = {
          rewriter.getMultiDimIdentityMap(resultRank),
          AffineMap::get(resultRank, 0,
                         {getAffineDimExpr(resultRank - 1, context)}, context),
          rewriter.getMultiDimIdentityMap(resultRank)};
      SmallVector<utils::IteratorType> iterators(resultRank,
                                                 utils::IteratorType::parallel);
      result =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{result, bias},
              ValueRange{result}, maps, iterators,
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l,
                    arith::AddFOp::create(b, l, args[0], args[1]).getResult());
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeToDecode : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Value decoded = decodeWeight(rewriter, op.getLoc(), op.getInput(), false);
    if (!decoded)
      return rewriter.notifyMatchFailure(op, "unsupported packed weight");
    // Decoded as [rows, K]: back to the logical shape.
    auto type = cast<RankedTensorType>(op.getResult().getType());
    int64_t rank = type.getRank();
    if (rank == 1)
      decoded = tensor::CollapseShapeOp::create(
          rewriter, op.getLoc(), type, decoded,
          ArrayRef<ReassociationIndices>{{0, 1}});
    else if (rank > 2)
      decoded = tensor::ExpandShapeOp::create(
          rewriter, op.getLoc(), type, decoded,
          SmallVector<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)), {rank - 1}});
    rewriter.replaceOp(op, decoded);
    return success();
  }
};

struct ConvertLowBitToLinalgPass
    : public mlir::lbc::impl::ConvertLowBitToLinalgPassBase<
          ConvertLowBitToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowBitToLinalgPatterns(patterns, useUkernels);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<LinearOp, DequantizeOp, HadamardOp>(op)) {
        op->emitError("lowbit op has no lowering to linalg");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      return signalPassFailure();
    // Packed constants are dead once their users are decoded.
    getOperation().walk([](lowbit::ConstantOp constant) {
      if (constant->use_empty())
        constant->erase();
    });
  }
};

} // namespace

void mlir::lbc::populateLowBitToLinalgPatterns(RewritePatternSet &patterns,
                                               bool useUkernels) {
  if (useUkernels)
    patterns.add<LinearToUkernel>(patterns.getContext());
  patterns.add<LinearToContraction, DequantizeToDecode>(patterns.getContext());
  populateHadamardToUkernelPatterns(patterns, /*fuseIntoLinears=*/useUkernels);
}
