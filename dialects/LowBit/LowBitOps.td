//===- LowBitOps.td - lowbit operations --------------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Packed constants, the linear op, and weight quantize/dequantize.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_DIALECTS_LOWBIT_LOWBITOPS_TD
#define LBC_DIALECTS_LOWBIT_LOWBITOPS_TD

include "dialects/LowBit/LowBitTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def LowBit_FloatTensor : RankedTensorOf<[AnyFloat]>;

def LowBit_ConstantOp : LowBit_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a packed weight held as a dense resource blob";
  let description = [{
    Holds the packed bytes of a weight. The bytes live in a
    `dense_resource<...>` of type `tensor<Nxi8>` (never a dense element
    attribute, so big weights neither bloat the IR nor get uniqued), with N
    equal to the encoding's packed byte size for the logical shape.

      %w = lowbit.constant dense_resource<w0> : tensor<68xi8>
             -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs LowBit_PackedWeightType:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowBit_LinearOp : LowBit_Op<"linear", [Pure]> {
  let summary = "y = x W^T (+ b) with a dense or packed weight";
  let description = [{
    Applies a linear layer to the last dimension of `input`: for input of shape
    [..., K] and weight of logical shape [N, K] (out, in: torch's convention),
    the result has shape [..., N]. `bias`, when present, has shape [N]. The
    weight is either a dense float tensor or a `!lowbit.packed` value, which
    kernels consume without expanding it to floats in memory.

    With `activation_bits = B`, the input is quantized dynamically before the
    product (the `a8` / `a4` recipe steps): each row, per block of 32
    consecutive input channels (the last block may be shorter), or with
    `activation_per_token` as a whole, becomes
    `d * clamp(round(x / d), -Q, Q)` with `Q = 2^(B-1) - 1` and
    `d = c * max|x| / Q` (rounding half away from zero; 0 where the block is
    all zeros), `c` the `activation_clip` ratio (default 1: no clipping).
    Kernels then multiply integer codes; the result is that of the quantized
    input.
  }];
  let arguments = (ins
    LowBit_FloatTensor:$input,
    AnyTypeOf<[LowBit_FloatTensor, LowBit_PackedWeightType]>:$weight,
    Optional<LowBit_FloatTensor>:$bias,
    OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>>:$activation_bits,
    UnitAttr:$activation_per_token,
    OptionalAttr<F32Attr>:$activation_clip
  );
  let results = (outs LowBit_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` `bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The weight's type as a float tensor: the logical type when packed.
    ::mlir::RankedTensorType getLogicalWeightType();
  }];
}

def LowBit_QuantizeOp : LowBit_Op<"quantize", [Pure]> {
  let summary = "encode a float weight in a low-bit encoding";
  let description = [{
    Produces a packed weight whose dequantization approximates `input`, using
    the encoding of the result type. The passes fit constant weights with
    round-to-nearest (`lbc-quantize-weights`); an input that is already exactly
    representable (the dequantization of a value of the same type) folds to
    that value.
  }];
  let arguments = (ins LowBit_FloatTensor:$input);
  let results = (outs LowBit_PackedWeightType:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowBit_DequantizeOp : LowBit_Op<"dequantize", [Pure]> {
  let summary = "expand a packed weight to its logical float tensor";
  let arguments = (ins LowBit_PackedWeightType:$input);
  let results = (outs LowBit_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def LowBit_HadamardOp : LowBit_Op<"hadamard", [Pure, SameOperandsAndResultType]> {
  let summary = "the online Hadamard rotation x -> x M_n of the last dimension";
  let description = [{
    Multiplies each row (the last dimension, of size n) by the orthogonal
    matrix M_n = (H_{2^m} (x) H_K) / sqrt(n), n = 2^m * K, that
    lib/Support/Hadamard.h defines: Sylvester's H_{2^m} (fast Walsh-Hadamard
    butterflies) and a Paley or Goethals-Seidel H_K for the smallest K lbc
    can build. The
    rotations of `smoothrot` put it before a linear whose weight rows were
    rotated by the same M_n at compile time, so the product is unchanged:
    x W^T = (x M)(W M)^T.

      %r = lowbit.hadamard %x : tensor<?x768xf32>

    The last dimension must be static and have such a factorization (768 =
    64 * 12, 11008 = 64 * 172 do; 90 = 2 * 45 does not).
  }];
  let arguments = (ins LowBit_FloatTensor:$input);
  let results = (outs LowBit_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // LBC_DIALECTS_LOWBIT_LOWBITOPS_TD
