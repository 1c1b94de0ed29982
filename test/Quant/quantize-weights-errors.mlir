// RUN: lbc-opt %s --split-input-file --verify-diagnostics --lbc-quantize-weights="bits=4 group-size=8"
// RUN: not lbc-opt %s --lbc-quantize-weights="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not lbc-opt %s --lbc-quantize-weights="group-size=20" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not lbc-opt %s --lbc-quantize-weights="scheme=signed" 2>&1 | FileCheck %s --check-prefix=SCHEME
// RUN: not lbc-opt %s --lbc-quantize-weights="scale-type=f64" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not lbc-opt %s --lbc-quantize-weights="bits=3 order=split_halves" 2>&1 | FileCheck %s --check-prefix=ORDER

// Invalid options are reported once per module, naming the pass.
// BITS: error: lbc-quantize-weights: bits must be in [2, 8], got 9
// GROUP: error: lbc-quantize-weights: group size must be a positive multiple of 8, got 20
// SCHEME: error: lbc-quantize-weights: unknown scheme 'signed'; expected symmetric or asymmetric
// SCALE: error: lbc-quantize-weights: unknown scale type 'f64'; expected f16, bf16 or f32
// ORDER: error: lbc-quantize-weights: split_halves packing is defined for 4-bit codes only, got 3 bits

func.func @nan_weight(%x: tensor<8xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{cannot quantize a weight with NaN or infinite values}}
  %w = arith.constant dense<[[1.0, 0x7FC00000, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %y = lowbit.linear %x, %w : tensor<8xf32>, tensor<1x8xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

func.func @scale_overflow(%x: tensor<8xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{weight magnitudes overflow the scale type 'f16' of #lowbit.groupwise<bits = 4, group_size = 8, scale = f16>}}
  %w = arith.constant dense<[[1.0e9, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %y = lowbit.linear %x, %w : tensor<8xf32>, tensor<1x8xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

func.func @missing_blob(%x: tensor<8xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{weight blob 'absent' has no data (elided or missing resource)}}
  %w = arith.constant dense_resource<absent> : tensor<1x8xf32>
  %y = lowbit.linear %x, %w : tensor<8xf32>, tensor<1x8xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

func.func @f16_weight(%x: tensor<8xf16>) -> tensor<1xf16> {
  %w = arith.constant dense<1.0> : tensor<1x8xf16>
  // expected-warning @+1 {{weight of type 'tensor<1x8xf16>' left unquantized: lbc-quantize-weights reads f32 weights}}
  %y = lowbit.linear %x, %w : tensor<8xf16>, tensor<1x8xf16> -> tensor<1xf16>
  return %y : tensor<1xf16>
}
