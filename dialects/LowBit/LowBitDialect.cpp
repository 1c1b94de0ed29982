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

llvm::ArrayRef<llvm::StringLiteral> LowBitDialect::linearRoles() {
  static constexpr llvm::StringLiteral kRoles[] = {
      "q_proj",    "k_proj",  "v_proj",    "o_proj",
      "gate_proj", "up_proj", "down_proj", "lm_head"};
  return kRoles;
}

LogicalResult
LowBitDialect::verifyOperationAttribute(Operation *op,
                                        NamedAttribute attribute) {
  llvm::StringRef name = attribute.getName().strref();
  if (name != "lowbit.role" && name != "lowbit.block")
    return op->emitError("unknown lowbit attribute '") << name << "'";
  if (!isa<LinearOp>(op))
    return op->emitError("'") << name << "' annotates lowbit.linear ops only";
  if (name == "lowbit.block") {
    auto block = dyn_cast<IntegerAttr>(attribute.getValue());
    if (!block || block.getValue().isNegative())
      return op->emitError("'lowbit.block' must be a non-negative integer");
    return success();
  }
  auto role = dyn_cast<StringAttr>(attribute.getValue());
  if (!role || !llvm::is_contained(linearRoles(), role.getValue()))
    return op->emitError("'lowbit.role' must be one of q_proj, k_proj, "
                         "v_proj, o_proj, gate_proj, up_proj, down_proj, "
                         "lm_head");
  return success();
}
