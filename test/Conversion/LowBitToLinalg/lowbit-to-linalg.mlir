// RUN: lbc-opt %s --lbc-convert-lowbit-to-linalg="ukernels=false" | FileCheck %s
// RUN: lbc-opt %s --lbc-convert-lowbit-to-linalg | FileCheck %s --check-prefix=UKERNEL

// A linear over a packed weight becomes a decode generic that reads the
// packed bytes (written transposed, [K, N]) and a contraction marked for
// code generation over the input's collapsed rows; the bias is added after.
// CHECK-LABEL: func.func @packed_linear
// CHECK: %[[BYTES:.*]] = arith.constant dense_resource<packed> : tensor<68xi8>
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x2xf32>)
// CHECK: tensor.extract %[[BYTES]]
// CHECK: arith.mulf
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<3x5x8xf32> into tensor<15x8xf32>
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %[[WT]] : tensor<15x8xf32>, tensor<8x2xf32>) {{.*}} attrs = {lbc.contraction}
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1], [2]] output_shape [3, 5, 2]
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %arg1 : tensor<3x5x2xf32>, tensor<2xf32>)
// CHECK-NOT: lowbit.
func.func @packed_linear(%x: tensor<3x5x8xf32>, %b: tensor<2xf32>) -> tensor<3x5x2xf32> {
  %p = lowbit.constant dense_resource<packed> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  %y = lowbit.linear %x, %p, bias %b : tensor<3x5x8xf32>, !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>, tensor<2xf32> -> tensor<3x5x2xf32>
  return %y : tensor<3x5x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      packed: "0x40000000694B2D0F5769A4080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003C00B8"
    }
  }
#-}

// With activation_bits, the reference quantizes the input per block of 32
// (K = 40 is padded to two blocks, then sliced back) before the contraction.
// CHECK-LABEL: func.func @a8_linear
// CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 0] high[0, 24]
// CHECK: %[[BLOCKS:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2]] output_shape [4, 2, 32] : tensor<4x64xf32> into tensor<4x2x32xf32>
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[BLOCKS]] : tensor<4x2x32xf32>) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[BLOCKS]], %[[MAX]] : tensor<4x2x32xf32>, tensor<4x2xf32>)
// CHECK: arith.divf
// CHECK: math.round
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[Q]]
// CHECK: %[[XQ:.*]] = tensor.extract_slice %[[FLAT]][0, 0] [4, 40] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[XQ]], %{{.*}} : tensor<4x40xf32>, tensor<40x64xf32>) {{.*}} attrs = {lbc.contraction}
// The microkernels: the input's int8 codes go to a 64-byte-aligned scratch
// buffer of 4 rows x 192 bytes (QuantizedActivations.h), then the column
// blocks call the a8 kernel.
// UKERNEL-LABEL: func.func @a8_linear
// UKERNEL: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<768xi8>
// UKERNEL: call @lbc_ukernel_quantize_activations(
// UKERNEL: call @lbc_ukernel_groupwise_linear_a8(
// UKERNEL-NOT: lbc.contraction
func.func @a8_linear(%x: tensor<4x40xf32>) -> tensor<4x64xf32> {
  %p = lowbit.constant dense_resource<a8packed> : tensor<2304xi8> -> !lowbit.packed<tensor<64x40xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
  %y = lowbit.linear %x, %p {activation_bits = 8} : tensor<4x40xf32>, !lowbit.packed<tensor<64x40xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// An online rotation feeding a quantized input: with the microkernels the
// rows are rotated and quantized in one pass (the rotated rows never go to
// memory) and lowbit.hadamard disappears; the reference keeps both steps.
// CHECK-LABEL: func.func @rotated_a8_linear
// CHECK: call @lbc_ukernel_hadamard(
// CHECK: math.round
// UKERNEL-LABEL: func.func @rotated_a8_linear
// UKERNEL-NOT: lbc_ukernel_hadamard(
// UKERNEL: call @lbc_ukernel_quantize_rotated_activations(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c2_i64, %c20_i64, %{{.*}})
// UKERNEL: call @lbc_ukernel_groupwise_linear_a8(
// UKERNEL-NOT: lowbit.hadamard
func.func @rotated_a8_linear(%x: tensor<4x40xf32>) -> tensor<4x64xf32> {
  %p = lowbit.constant dense_resource<a8packed> : tensor<2304xi8> -> !lowbit.packed<tensor<64x40xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
  %r = lowbit.hadamard %x : tensor<4x40xf32>
  %y = lowbit.linear %r, %p {activation_bits = 4, activation_per_token} : tensor<4x40xf32>, !lowbit.packed<tensor<64x40xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// A decode row over a weight whose kernel has a one-row form: x is prepared
// once, into a 64-byte aligned buffer of preparedRowBytes(k) bytes
// (PreparedRow.h), before the column blocks, and each call reads it.
// UKERNEL-LABEL: func.func @decode_groupwise
// UKERNEL: %[[BUFFER:.*]] = memref.alloc() {alignment = 64 : i64} : memref<576xi8>
// UKERNEL: %[[POINTER:.*]] = memref.extract_aligned_pointer_as_index %[[BUFFER]]
// UKERNEL: %[[PREPARED:.*]] = arith.index_cast %[[POINTER]] : index to i64
// UKERNEL: call @lbc_ukernel_groupwise_prepare_row(%[[X:.*]], %c1_i64, %c64_i64, %c64_i64, %[[PREPARED]], %c4_i64, %c32_i64, %c0_i64)
// UKERNEL: call @lbc_ukernel_groupwise_linear(%[[X]], {{.*}}, %c4_i64, %c32_i64, %c0_i64, %[[PREPARED]])
func.func @decode_groupwise(%x: tensor<1x64xf32>) -> tensor<1x4xf32> {
  %p = lowbit.constant dense_resource<decode_groupwise> : tensor<144xi8> -> !lowbit.packed<tensor<4x64xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
  %y = lowbit.linear %x, %p : tensor<1x64xf32>, !lowbit.packed<tensor<4x64xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// UKERNEL-LABEL: func.func @decode_kquant
// UKERNEL: %[[BUFFER:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1408xi8>
// UKERNEL: %[[POINTER:.*]] = memref.extract_aligned_pointer_as_index %[[BUFFER]]
// UKERNEL: %[[PREPARED:.*]] = arith.index_cast %[[POINTER]] : index to i64
// UKERNEL: call @lbc_ukernel_kquant_prepare_row(%[[X:.*]], %c1_i64, %c256_i64, %c256_i64, %[[PREPARED]], %c4_i64)
// UKERNEL: call @lbc_ukernel_kquant_linear(%[[X]], {{.*}}, %c4_i64, %[[PREPARED]])
func.func @decode_kquant(%x: tensor<1x256xf32>) -> tensor<1x2xf32> {
  %p = lowbit.constant dense_resource<decode_kquant> : tensor<288xi8> -> !lowbit.packed<tensor<2x256xf32>, #lowbit.kquant<bits = 4>>
  %y = lowbit.linear %x, %p : tensor<1x256xf32>, !lowbit.packed<tensor<2x256xf32>, #lowbit.kquant<bits = 4>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      decode_groupwise: "0x40000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      decode_kquant: "0x40000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
