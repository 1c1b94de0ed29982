//===- LowBitAttrs.td - lowbit weight encodings ------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The weight-encoding interface and the group-wise integer encoding.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LOWBITATTRS_TD
#define LBC_DIALECTS_LOWBIT_LOWBITATTRS_TD

include "dialects/LowBit/LowBitDialect.td"
include "mlir/IR/EnumAttr.td"

def LowBit_WeightEncodingAttrInterface
    : AttrInterface<"WeightEncodingAttrInterface"> {
  let cppNamespace = "::mlir::lbc::lowbit";
  let description = [{
    A storage format for a weight tensor. Every encoding knows its storage cost
    and the exact byte size of the packed blob for a logical shape, so packed
    constants can be verified and artifacts can report real bits per weight.
  }];
  let methods = [
    InterfaceMethod<
      "Nominal storage bits per weight, counting scales and zero points.",
      "double", "bitsPerWeight">,
    InterfaceMethod<
      "Size in bytes of the packed blob holding a weight of `shape`.",
      "int64_t", "getPackedByteSize", (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<
      "Checks that a weight of logical type `type` can carry this encoding.",
      "::llvm::LogicalResult", "verifyLogicalType",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::mlir::RankedTensorType":$type)>,
  ];
}

def LowBit_QuantScheme : I32EnumAttr<"QuantScheme",
    "how integer codes map to values", [
      I32EnumAttrCase<"symmetric", 0>,
      I32EnumAttrCase<"asymmetric", 1>]> {
  let cppNamespace = "::mlir::lbc::lowbit";
  let genSpecializedAttr = 0;
}

def LowBit_PackOrder : I32EnumAttr<"PackOrder",
    "order of the codes of one group inside its packed bytes", [
      I32EnumAttrCase<"lsb_first", 0>,
      I32EnumAttrCase<"split_halves", 1>]> {
  let cppNamespace = "::mlir::lbc::lowbit";
  let genSpecializedAttr = 0;
}

def LowBit_GroupwiseEncodingAttr : LowBit_Attr<"GroupwiseEncoding", "groupwise",
    [DeclareAttrInterfaceMethods<LowBit_WeightEncodingAttrInterface>]> {
  let summary = "group-wise integer weight encoding (Q8_0/Q5_0/Q4_0 family)";
  let description = [{
    Weights are split along their last dimension into groups of `group_size`
    elements; each group stores `bits`-bit codes and one scale (plus one zero
    point for the asymmetric scheme):

      symmetric:  x = (q - 2^(bits-1)) * scale
      asymmetric: x = (q - zero_point) * scale

    Syntax (`scheme` defaults to symmetric, `scale` to f16, `order` to
    lsb_first; `zero_point` is required exactly when asymmetric):

      #lowbit.groupwise<bits = 4, group_size = 32>
      #lowbit.groupwise<bits = 4, group_size = 128, scheme = asymmetric,
                        scale = f16, zero_point = ui8>

    Bits per weight = bits + (scale bits + zero point bits) / group_size,
    e.g. 4.5 for bits = 4, group_size = 32, f16 scale (llama.cpp's Q4_0).
  }];
  let parameters = (ins
    "unsigned":$bits,
    "unsigned":$groupSize,
    "QuantScheme":$scheme,
    "::mlir::Type":$scaleType,
    "::mlir::Type":$zeroPointType,
    "PackOrder":$order
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The MLIR-free description of this encoding used by the codec.
    ::lbc::GroupwiseFormat toFormat() const;
  }];
}

def LowBit_KQuantEncodingAttr : LowBit_Attr<"KQuantEncoding", "kquant",
    [DeclareAttrInterfaceMethods<LowBit_WeightEncodingAttrInterface>]> {
  let summary = "K-quant super-block encoding (llama.cpp's Q4_K arithmetic)";
  let description = [{
    Weights are split along their last dimension into super-blocks of 256,
    each of 8 sub-blocks of 32 with a 6-bit scale and a 6-bit min, those
    scaled by two f16 values per super-block:

      x = d * sc[j] * q - dmin * m[j]

    fitted by weighted least squares per sub-block. `bits` is 4 (q4k, 4.5
    bits per weight). The bytes are defined in lib/Support/KQuantCodec.h.

      #lowbit.kquant<bits = 4>
  }];
  let parameters = (ins "unsigned":$bits);
  let assemblyFormat = "`<` `bits` `=` $bits `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The MLIR-free description of this encoding used by the codec.
    ::lbc::KQuantFormat toFormat() const;
  }];
}

def LowBit_Nf4EncodingAttr : LowBit_Attr<"Nf4Encoding", "nf4",
    [DeclareAttrInterfaceMethods<LowBit_WeightEncodingAttrInterface>]> {
  let summary = "NF4 (4-bit NormalFloat) encoding with absmax blocks";
  let description = [{
    Weights are split along their last dimension into blocks of
    `block_size`; each block stores its absolute maximum (f16) and 4-bit
    codes into the 16-value NF4 codebook of normal quantiles:

      x = codebook[q] * absmax

    Bits per weight = 4 + 16 / block_size (4.25 for the default 64). The
    bytes are defined in lib/Support/Nf4Codec.h.

      #lowbit.nf4<block_size = 64>
  }];
  let parameters = (ins "unsigned":$blockSize);
  let assemblyFormat = "`<` `block_size` `=` $blockSize `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The MLIR-free description of this encoding used by the codec.
    ::lbc::Nf4Format toFormat() const;
  }];
}

#endif // LBC_DIALECTS_LOWBIT_LOWBITATTRS_TD
