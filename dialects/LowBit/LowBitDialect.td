//===- LowBitDialect.td - lowbit dialect definition --------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The lowbit dialect and the base classes of its ops, types and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LOWBITDIALECT_TD
#define LBC_DIALECTS_LOWBIT_LOWBITDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def LowBit_Dialect : Dialect {
  let name = "lowbit";
  let cppNamespace = "::mlir::lbc::lowbit";
  let summary = "Low-bit weight encodings, packed weights and the ops that use them";
  let description = [{
    The lowbit dialect describes how a weight is ENCODED (group-wise integers
    today; K-quants, NF4, binary low-rank factors later), holds packed weights
    as dense resource blobs, and carries the ops that consume them
    (`lowbit.linear`) or convert between dense and packed values
    (`lowbit.quantize`, `lowbit.dequantize`). See docs/dialect.md.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // `lowbit.role` / `lowbit.block` on lowbit.linear: the transformer
  // structure lbc-recognize-transformer found.
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    /// Defined next to the storage classes they need (LowBitAttrs.cpp,
    /// LowBitTypes.cpp).
    void registerAttributes();
    void registerTypes();

    /// The roles a linear can have in a transformer (`lowbit.role`).
    static ::llvm::ArrayRef<::llvm::StringLiteral> linearRoles();
  }];
}

class LowBit_Op<string mnemonic, list<Trait> traits = []>
    : Op<LowBit_Dialect, mnemonic, traits>;

class LowBit_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LowBit_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class LowBit_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<LowBit_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // LBC_DIALECTS_LOWBIT_LOWBITDIALECT_TD
