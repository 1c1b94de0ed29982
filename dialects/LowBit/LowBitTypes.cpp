//===- LowBitTypes.cpp - lowbit types -------------------------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Parsing, printing and verification of !lowbit.packed.
//
//===----------------------------------------------------------------------===//

#include "dialects/LowBit/LowBitDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lbc::lowbit;

#define GET_TYPEDEF_CLASSES
#include "dialects/LowBit/LowBitTypes.cpp.inc"

void LowBitDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/LowBit/LowBitTypes.cpp.inc"
      >();
}

LogicalResult
PackedWeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                         RankedTensorType logicalType,
                         WeightEncodingAttrInterface encoding) {
  if (!logicalType.hasStaticShape())
    return emitError() << "packed weights need a static shape, got "
                       << logicalType;
  if (llvm::is_contained(logicalType.getShape(), 0))
    return emitError() << "packed weights need non-empty dimensions, got "
                       << logicalType;
  if (!isa<FloatType>(logicalType.getElementType()))
    return emitError() << "packed weights dequantize to floats, got element "
                          "type "
                       << logicalType.getElementType();
  return encoding.verifyLogicalType(emitError, logicalType);
}

Type PackedWeightType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  RankedTensorType logicalType;
  Attribute encoding;
  if (parser.parseLess() || parser.parseType(logicalType) ||
      parser.parseComma())
    return {};
  SMLoc encodingLoc = parser.getCurrentLocation();
  if (parser.parseAttribute(encoding) || parser.parseGreater())
    return {};
  auto weightEncoding = dyn_cast<WeightEncodingAttrInterface>(encoding);
  if (!weightEncoding) {
    parser.emitError(encodingLoc, "expected a weight encoding attribute, got ")
        << encoding;
    return {};
  }
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    logicalType, weightEncoding);
}

void PackedWeightType::print(AsmPrinter &printer) const {
  printer << "<" << getLogicalType() << ", ";
  printer.printAttribute(getEncoding());
  printer << ">";
}
