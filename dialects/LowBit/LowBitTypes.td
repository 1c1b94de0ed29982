//===- LowBitTypes.td - lowbit types -----------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The packed-weight type: a logical tensor type plus its encoding.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LOWBITTYPES_TD
#define LBC_DIALECTS_LOWBIT_LOWBITTYPES_TD

include "dialects/LowBit/LowBitAttrs.td"

def LowBit_PackedWeightType : LowBit_Type<"PackedWeight", "packed"> {
  let summary = "a weight stored in a low-bit encoding";
  let description = [{
    A value of this type is a weight whose dequantized form has type
    `logical_type` (a statically shaped float tensor) and whose storage follows
    `encoding`:

      !lowbit.packed<tensor<4096x4096xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>
  }];
  let parameters = (ins
    "::mlir::RankedTensorType":$logicalType,
    "WeightEncodingAttrInterface":$encoding
  );
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::RankedTensorType":$logicalType,
                                        "WeightEncodingAttrInterface":$encoding), [{
      return $_get(logicalType.getContext(), logicalType, encoding);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes of the packed blob that stores a value of this type.
    int64_t getPackedByteSize() const {
      return getEncoding().getPackedByteSize(getLogicalType().getShape());
    }
  }];
}

#endif // LBC_DIALECTS_LOWBIT_LOWBITTYPES_TD
