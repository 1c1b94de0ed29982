//===- LowBitDialect.cpp - lowbit dialect registration --------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Registers the lowbit dialect's attributes, types and ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/LowBit/LowBitDialect.h"

using namespace mlir;
using namespace mlir::lbc::lowbit;

#include "dialects/LowBit/LowBitDialect.cpp.inc"

void LowBitDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/LowBit/LowBitOps.cpp.inc"
      >();
}

Operation *LowBitDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  // Folding a lowbit.constant yields its blob; rebuild the op from it.
  auto packedType = dyn_cast<PackedWeightType>(type);
  auto blob = dyn_cast<DenseResourceElementsAttr>(value);
  if (!packedType || !blob)
    return nullptr;
  return ConstantOp::create(builder, loc, packedType, blob);
}
