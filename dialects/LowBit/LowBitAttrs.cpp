//===- LowBitAttrs.cpp - lowbit weight encodings --------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Parsing, printing and verification of the group-wise and K-quant
// encodings, and their weight-encoding interface (bits per weight, packed
// byte size).
//
//===----------------------------------------------------------------------===//

#include "dialects/LowBit/LowBitDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lbc::lowbit;

#include "dialects/LowBit/LowBitAttrInterfaces.cpp.inc"
#include "dialects/LowBit/LowBitEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/LowBit/LowBitAttrs.cpp.inc"

void LowBitDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/LowBit/LowBitAttrs.cpp.inc"
      >();
}

namespace {

/// Maps an MLIR scalar type to the codec's storage kind; None if unsupported.
::lbc::ScalarKind toScalarKind(Type type) {
  if (!type)
    return ::lbc::ScalarKind::None;
  if (type.isF32())
    return ::lbc::ScalarKind::F32;
  if (type.isF16())
    return ::lbc::ScalarKind::F16;
  if (type.isBF16())
    return ::lbc::ScalarKind::BF16;
  if (type.isUnsignedInteger(8))
    return ::lbc::ScalarKind::U8;
  return ::lbc::ScalarKind::None;
}

::lbc::GroupwiseFormat makeFormat(unsigned bits, unsigned groupSize,
                                  QuantScheme scheme, Type scaleType,
                                  Type zeroPointType, PackOrder order) {
  ::lbc::GroupwiseFormat format;
  format.bits = bits;
  format.groupSize = groupSize;
  format.symmetric = scheme == QuantScheme::symmetric;
  format.scaleKind = toScalarKind(scaleType);
  format.zeroPointKind = toScalarKind(zeroPointType);
  format.order = order == PackOrder::split_halves
                     ? ::lbc::PackOrder::SplitHalves
                     : ::lbc::PackOrder::LsbFirst;
  return format;
}

/// Parses a bare keyword naming a value of `EnumT`.
template <typename EnumT>
ParseResult parseEnumKeyword(AsmParser &parser,
                             std::optional<EnumT> (*symbolize)(StringRef),
                             StringRef expected, EnumT &result) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<EnumT> value = symbolize(keyword);
  if (!value)
    return parser.emitError(loc, "expected ")
           << expected << ", got '" << keyword << "'";
  result = *value;
  return success();
}

} // namespace

/// Rows x columns of a weight shape whose blocks run along the last
/// dimension (rows = the product of the others).
static std::pair<int64_t, int64_t> rowsAndColumns(ArrayRef<int64_t> shape) {
  int64_t rows = 1;
  for (int64_t dim : shape.drop_back())
    rows *= dim;
  return {rows, shape.back()};
}

/// Every encoding blocks the last dimension, so it needs one.
static LogicalResult
verifyHasLastDimension(function_ref<InFlightDiagnostic()> emitError,
                       RankedTensorType type, llvm::StringRef encoding) {
  if (type.getRank() < 1)
    return emitError() << encoding
                       << " encoding needs a weight of rank >= 1 (its blocks "
                          "run along the last dimension), got "
                       << type;
  return success();
}

/// An encoding's verifier: the codec's reason why a format is invalid.
static LogicalResult
verifyCodecFormat(function_ref<InFlightDiagnostic()> emitError,
                  const std::string &problem) {
  if (!problem.empty())
    return emitError() << problem;
  return success();
}

LogicalResult
GroupwiseEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, unsigned groupSize,
                              QuantScheme scheme, Type scaleType,
                              Type zeroPointType, PackOrder order) {
  if (!scaleType || !isa<Float16Type, BFloat16Type, Float32Type>(scaleType))
    return emitError() << "scale must be f16, bf16 or f32, got " << scaleType;
  if (zeroPointType && !zeroPointType.isUnsignedInteger(8) &&
      !isa<Float16Type, BFloat16Type, Float32Type>(zeroPointType))
    return emitError() << "zero_point must be ui8, f16, bf16 or f32, got "
                       << zeroPointType;
  // Everything else is a property of the byte format: ask the codec, so the
  // dialect and the runtime can never disagree on what is valid.
  std::string problem = ::lbc::validateFormat(
      makeFormat(bits, groupSize, scheme, scaleType, zeroPointType, order));
  if (!problem.empty())
    return emitError() << problem;
  return success();
}

::lbc::GroupwiseFormat GroupwiseEncodingAttr::toFormat() const {
  return makeFormat(getBits(), getGroupSize(), getScheme(), getScaleType(),
                    getZeroPointType(), getOrder());
}

double GroupwiseEncodingAttr::bitsPerWeight() const {
  return ::lbc::bitsPerWeight(toFormat());
}

int64_t
GroupwiseEncodingAttr::getPackedByteSize(ArrayRef<int64_t> shape) const {
  if (shape.empty())
    return 0;
  auto [rows, cols] = rowsAndColumns(shape);
  return ::lbc::computeLayout(toFormat(), rows, cols).totalBytes;
}

LogicalResult GroupwiseEncodingAttr::verifyLogicalType(
    function_ref<InFlightDiagnostic()> emitError, RankedTensorType type) const {
  return verifyHasLastDimension(emitError, type, "groupwise");
}

Attribute GroupwiseEncodingAttr::parse(AsmParser &parser, Type) {
  MLIRContext *context = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  std::optional<unsigned> bits, groupSize;
  QuantScheme scheme = QuantScheme::symmetric;
  PackOrder order = PackOrder::lsb_first;
  Type scaleType = Float16Type::get(context);
  Type zeroPointType;
  llvm::StringSet<> seen;

  auto parseEntry = [&]() -> ParseResult {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key))
      return failure();
    if (!llvm::is_contained(
            {"bits", "group_size", "scheme", "scale", "zero_point", "order"},
            key))
      return parser.emitError(keyLoc, "unknown groupwise parameter '")
             << key
             << "'; expected bits, group_size, scheme, scale, zero_point, "
                "order";
    if (!seen.insert(key).second)
      return parser.emitError(keyLoc, "duplicate parameter '") << key << "'";
    if (parser.parseEqual())
      return failure();
    if (key == "bits" || key == "group_size") {
      unsigned value = 0;
      if (parser.parseInteger(value))
        return failure();
      (key == "bits" ? bits : groupSize) = value;
      return success();
    }
    if (key == "scale")
      return parser.parseType(scaleType);
    if (key == "zero_point")
      return parser.parseType(zeroPointType);
    if (key == "scheme")
      return parseEnumKeyword(parser, symbolizeQuantScheme,
                              "'symmetric' or 'asymmetric'", scheme);
    return parseEnumKeyword(parser, symbolizePackOrder,
                            "'lsb_first' or 'split_halves'", order);
  };

  if (parser.parseLess() || parser.parseCommaSeparatedList(parseEntry) ||
      parser.parseGreater())
    return {};
  if (!bits || !groupSize) {
    parser.emitError(loc, "groupwise encoding needs 'bits' and 'group_size'");
    return {};
  }
  return getChecked([&] { return parser.emitError(loc); }, context, *bits,
                    *groupSize, scheme, scaleType, zeroPointType, order);
}

void GroupwiseEncodingAttr::print(AsmPrinter &printer) const {
  printer << "<bits = " << getBits() << ", group_size = " << getGroupSize();
  if (getScheme() != QuantScheme::symmetric)
    printer << ", scheme = " << stringifyQuantScheme(getScheme());
  printer << ", scale = " << getScaleType();
  if (getZeroPointType())
    printer << ", zero_point = " << getZeroPointType();
  if (getOrder() != PackOrder::lsb_first)
    printer << ", order = " << stringifyPackOrder(getOrder());
  printer << ">";
}

//===----------------------------------------------------------------------===//
// KQuantEncodingAttr
//===----------------------------------------------------------------------===//

LogicalResult
KQuantEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           unsigned bits) {
  return verifyCodecFormat(
      emitError, ::lbc::validateKQuantFormat(::lbc::KQuantFormat{bits}));
}

::lbc::KQuantFormat KQuantEncodingAttr::toFormat() const {
  return ::lbc::KQuantFormat{getBits()};
}

double KQuantEncodingAttr::bitsPerWeight() const {
  return ::lbc::bitsPerWeight(toFormat());
}

int64_t KQuantEncodingAttr::getPackedByteSize(ArrayRef<int64_t> shape) const {
  if (shape.empty())
    return 0;
  auto [rows, cols] = rowsAndColumns(shape);
  return ::lbc::computeKQuantLayout(toFormat(), rows, cols).totalBytes;
}

LogicalResult KQuantEncodingAttr::verifyLogicalType(
    function_ref<InFlightDiagnostic()> emitError, RankedTensorType type) const {
  return verifyHasLastDimension(emitError, type, "kquant");
}

//===----------------------------------------------------------------------===//
// Nf4EncodingAttr
//===----------------------------------------------------------------------===//

LogicalResult
Nf4EncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned blockSize) {
  return verifyCodecFormat(
      emitError, ::lbc::validateNf4Format(::lbc::Nf4Format{blockSize}));
}

::lbc::Nf4Format Nf4EncodingAttr::toFormat() const {
  return ::lbc::Nf4Format{getBlockSize()};
}

double Nf4EncodingAttr::bitsPerWeight() const {
  return ::lbc::bitsPerWeight(toFormat());
}

int64_t Nf4EncodingAttr::getPackedByteSize(ArrayRef<int64_t> shape) const {
  if (shape.empty())
    return 0;
  auto [rows, cols] = rowsAndColumns(shape);
  return ::lbc::computeNf4Layout(toFormat(), rows, cols).totalBytes;
}

LogicalResult
Nf4EncodingAttr::verifyLogicalType(function_ref<InFlightDiagnostic()> emitError,
                                   RankedTensorType type) const {
  return verifyHasLastDimension(emitError, type, "nf4");
}
