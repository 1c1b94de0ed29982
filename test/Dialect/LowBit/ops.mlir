// RUN: lbc-opt %s | lbc-opt | FileCheck %s
// RUN: lbc-opt %s --mlir-print-op-generic | lbc-opt | FileCheck %s

// Round trip of every lowbit op, attribute and type.

// CHECK-LABEL: func.func @encodings
// CHECK-SAME: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16>>
// CHECK-SAME: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 3, group_size = 128, scheme = asymmetric, scale = bf16, zero_point = ui8>>
// CHECK-SAME: !lowbit.packed<tensor<4x8x32xf16>, #lowbit.groupwise<bits = 8, group_size = 16, scheme = asymmetric, scale = f32, zero_point = f16>>
// CHECK-SAME: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 64, scale = f16, order = split_halves>>
// CHECK-SAME: !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8, scale = f32>>
func.func @encodings(
    %a: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>,
    %b: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<group_size = 128, bits = 3, scheme = asymmetric, scale = bf16, zero_point = ui8>>,
    %c: !lowbit.packed<tensor<4x8x32xf16>, #lowbit.groupwise<bits = 8, group_size = 16, scheme = asymmetric, scale = f32, zero_point = f16>>,
    %d: !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 64, scheme = symmetric, scale = f16, order = split_halves>>,
    %e: !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8, scale = f32, order = lsb_first>>) {
  return
}

// An encoding attribute on its own, outside a type.
// CHECK-LABEL: func.func @encoding_attr
// CHECK: lbc.encoding = #lowbit.groupwise<bits = 5, group_size = 32, scale = f16>
func.func @encoding_attr() attributes {lbc.encoding = #lowbit.groupwise<bits = 5, group_size = 32>} {
  return
}

// CHECK-LABEL: func.func @ops
// CHECK-SAME: (%[[X:.*]]: tensor<2x7x32xf32>, %[[W:.*]]: tensor<16x32xf32>, %[[B:.*]]: tensor<16xf32>, %[[Y:.*]]: tensor<?x32xf32>)
func.func @ops(%x: tensor<2x7x32xf32>, %w: tensor<16x32xf32>, %b: tensor<16xf32>, %y: tensor<?x32xf32>)
    -> (tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<?x16xf32>, tensor<16x32xf32>) {
  // CHECK: %[[P:.*]] = lowbit.constant dense_resource<packed> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8, scale = f16>>
  %p = lowbit.constant dense_resource<packed> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  // CHECK: %[[Q:.*]] = lowbit.quantize %[[W]] : tensor<16x32xf32> -> !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16>>
  %q = lowbit.quantize %w : tensor<16x32xf32> -> !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>
  // CHECK: lowbit.linear %[[X]], %[[Q]], bias %[[B]] : tensor<2x7x32xf32>, !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16>>, tensor<16xf32> -> tensor<2x7x16xf32>
  %0 = lowbit.linear %x, %q, bias %b : tensor<2x7x32xf32>, !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>, tensor<16xf32> -> tensor<2x7x16xf32>
  // CHECK: lowbit.linear %[[X]], %[[W]] : tensor<2x7x32xf32>, tensor<16x32xf32> -> tensor<2x7x16xf32>
  %1 = lowbit.linear %x, %w : tensor<2x7x32xf32>, tensor<16x32xf32> -> tensor<2x7x16xf32>
  // CHECK: lowbit.linear %[[Y]], %[[W]] : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
  %2 = lowbit.linear %y, %w : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
  // CHECK: lowbit.dequantize %[[Q]] : !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16>> -> tensor<16x32xf32>
  %3 = lowbit.dequantize %q : !lowbit.packed<tensor<16x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>> -> tensor<16x32xf32>
  return %0, %1, %2, %3 : tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<?x16xf32>, tensor<16x32xf32>
}

// K-quant encoding: 4.5 bits/weight; a 2x300 weight pads to two
// super-blocks per row: 4 x 128 code bytes, then 4 x 16 header bytes.
// CHECK-LABEL: func.func @kquant_linear
// CHECK: !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>>
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {activation_bits = 8 : i64}
func.func @kquant_linear(%x: tensor<3x300xf32>, %w: !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>>) -> tensor<3x2xf32> {
  %y = lowbit.linear %x, %w {activation_bits = 8} : tensor<3x300xf32>, !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @per_token_linear
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {activation_bits = 4 : i64, activation_clip = 0.899999976 : f32, activation_per_token}
func.func @per_token_linear(%x: tensor<3x300xf32>, %w: !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>>) -> tensor<3x2xf32> {
  %y = lowbit.linear %x, %w {activation_bits = 4, activation_per_token, activation_clip = 0.9 : f32} : tensor<3x300xf32>, !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @hadamard
// CHECK: lowbit.hadamard %{{.*}} : tensor<?x768xf32>
func.func @hadamard(%x: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %y = lowbit.hadamard %x : tensor<?x768xf32>
  return %y : tensor<?x768xf32>
}

// CHECK: dialect_resources
// CHECK: packed: "0x40000000694B2D0F5769A408
{-#
  dialect_resources: {
    builtin: {
      packed: "0x40000000694B2D0F5769A4080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003C00B8"
    }
  }
#-}
