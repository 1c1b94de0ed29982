// RUN: lbc-opt %s --split-input-file --lbc-quantize-weights="bits=4 group-size=8" --lbc-dequantize-weights | FileCheck %s
// RUN: lbc-opt %s --split-input-file --lbc-dequantize-weights | FileCheck %s --check-prefix=PACKED

// Quantize then dequantize: the f32 values come back rounded to the 4-bit
// grid. 1.1 and 2.9 are not on it (scale 1.0): they return as 1.0 and 3.0;
// the rest are exact. f32 little-endian: 1.0 = 0000803F, -2.0 = 000000C0,
// 3.0 = 00004040, -4.0 = 000080C0, 5.0 = 0000A040, -6.0 = 0000C0C0,
// 7.0 = 0000E040, -8.0 = 000000C1.
// CHECK-LABEL: func.func @round_trip
// CHECK: %[[W:.*]] = arith.constant dense_resource<[[BLOB:.*]]> : tensor<1x8xf32>
// CHECK-NOT: lowbit.constant
// CHECK: lowbit.linear %{{.*}}, %[[W]] : tensor<8xf32>, tensor<1x8xf32>
// CHECK: [[BLOB]]: "0x400000000000803F000000C000004040000080C00000A0400000C0C00000E040000000C1"
func.func @round_trip(%x: tensor<8xf32>) -> tensor<1xf32> {
  %w = arith.constant dense<[[1.1, -2.0, 2.9, -4.0, 5.0, -6.0, 7.0, -8.0]]> : tensor<1x8xf32>
  %y = lowbit.linear %x, %w : tensor<8xf32>, tensor<1x8xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

// A packed constant written by hand (the hand-computed blob of
// quantize-weights.mlir) decodes to its exact values, and lowbit.dequantize
// users get the dense constant.
// PACKED-LABEL: func.func @decode_packed
// PACKED: %[[W:.*]] = arith.constant dense_resource<[[BLOB:.*]]> : tensor<2x8xf32>
// PACKED-NOT: lowbit.
// PACKED: return %[[W]]
// Row 1 = [.5 1.5 -.5 1 2 -1 0 4] (code 8 with scale -0.5 is -0.0 = 00000080).
// PACKED: [[BLOB]]: "0x400000000000803F000000C000004040000080C00000A0400000C0C00000E040000000C10000003F0000C03F000000BF0000803F00000040000080BF0000008000008040"
func.func @decode_packed() -> tensor<2x8xf32> {
  %p = lowbit.constant dense_resource<packed> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  %d = lowbit.dequantize %p : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      packed: "0x40000000694B2D0F5769A4080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003C00B8"
    }
  }
#-}
