//===- LowBitDialect.h - lowbit dialect public header -----------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Declares the lowbit dialect with its enums, attributes, types and ops. This
// is the one header users of the dialect include.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LOWBITDIALECT_H
#define LBC_DIALECTS_LOWBIT_LOWBITDIALECT_H

#include "lib/Support/GroupwiseCodec.h"
#include "lib/Support/KQuantCodec.h"
#include "lib/Support/Nf4Codec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

// Generated declarations, in dependency order (keep these unsorted).
#include "dialects/LowBit/LowBitDialect.h.inc"

#include "dialects/LowBit/LowBitEnums.h.inc"

#include "dialects/LowBit/LowBitAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/LowBit/LowBitAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/LowBit/LowBitTypes.h.inc"

#define GET_OP_CLASSES
#include "dialects/LowBit/LowBitOps.h.inc"

#endif // LBC_DIALECTS_LOWBIT_LOWBITDIALECT_H
