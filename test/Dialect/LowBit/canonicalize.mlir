// RUN: lbc-opt %s --canonicalize --split-input-file | FileCheck %s

// linear(x, dequantize(w)) consumes the packed weight directly.
// CHECK-LABEL: func.func @linear_consumes_packed_weight
// CHECK-SAME: (%[[X:.*]]: tensor<3x8xf32>, %[[W:.*]]: !lowbit.packed
// CHECK-NOT: lowbit.dequantize
// CHECK: %[[Y:.*]] = lowbit.linear %[[X]], %[[W]] : tensor<3x8xf32>, !lowbit.packed<tensor<2x8xf32>
// CHECK: return %[[Y]]
func.func @linear_consumes_packed_weight(%x: tensor<3x8xf32>, %w: !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>) -> tensor<3x2xf32> {
  %d = lowbit.dequantize %w : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<2x8xf32>
  %y = lowbit.linear %x, %d : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// quantize(dequantize(w)) is w when the encodings agree ...
// CHECK-LABEL: func.func @requantize_same_encoding
// CHECK-SAME: (%[[W:.*]]: !lowbit.packed
// CHECK-NEXT: return %[[W]]
func.func @requantize_same_encoding(%w: !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>) -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> {
  %d = lowbit.dequantize %w : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<2x8xf32>
  %q = lowbit.quantize %d : tensor<2x8xf32> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  return %q : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
}

// -----

// ... but not when they differ: that is a real (lossy) conversion.
// CHECK-LABEL: func.func @requantize_other_encoding
// CHECK: %[[D:.*]] = lowbit.dequantize
// CHECK: %[[Q:.*]] = lowbit.quantize %[[D]] {{.*}}bits = 2
// CHECK: return %[[Q]]
func.func @requantize_other_encoding(%w: !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>) -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8>> {
  %d = lowbit.dequantize %w : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<2x8xf32>
  %q = lowbit.quantize %d : tensor<2x8xf32> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8>>
  return %q : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8>>
}

// -----

// Identical packed constants are deduplicated; unused ones disappear.
// CHECK-LABEL: func.func @constants_dedup
// CHECK: %[[C:.*]] = lowbit.constant dense_resource<blob>
// CHECK-NOT: lowbit.constant
// CHECK: lowbit.linear %{{.*}}, %[[C]]
// CHECK: lowbit.linear %{{.*}}, %[[C]]
func.func @constants_dedup(%x: tensor<3x8xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %a = lowbit.constant dense_resource<blob> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  %b = lowbit.constant dense_resource<blob> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  %unused = lowbit.constant dense_resource<blob> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  %y0 = lowbit.linear %x, %a : tensor<3x8xf32>, !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<3x2xf32>
  %y1 = lowbit.linear %x, %b : tensor<3x8xf32>, !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<3x2xf32>
  return %y0, %y1 : tensor<3x2xf32>, tensor<3x2xf32>
}
