// RUN: lbc-opt %s --split-input-file --lbc-quantize-weights="bits=4 group-size=8" | FileCheck %s
// RUN: lbc-opt %s --split-input-file --lbc-quantize-weights="bits=4 group-size=8 order=split_halves" | FileCheck %s --check-prefix=SPLIT
// RUN: lbc-opt %s --split-input-file --lbc-quantize-weights="bits=2 group-size=8 scheme=asymmetric zero-point-type=ui8" | FileCheck %s --check-prefix=ASYM

// Packed bytes worked out by hand (docs/dialect.md has the format).
//
// Symmetric 4-bit, group 8, f16 scale, lsb_first (code i in nibble i):
//   row 0 = [1 -2 3 -4 5 -6 7 -8]: largest magnitude -8 -> scale -8/-8 = 1.0
//     codes x/1 + 8 = [9 6 11 4 13 2 15 0] -> bytes 69 4B 2D 0F
//   row 1 = [.5 1.5 -.5 1 2 -1 0 4]: largest magnitude 4 -> scale 4/-8 = -0.5
//     codes x/-0.5 + 8 = [7 5 9 6 4 10 8 0] -> bytes 57 69 A4 08
//   scales at offset 64 (sections are 64-byte aligned): 1.0 = 0x3C00,
//   -0.5 = 0xB800, little-endian -> 00 3C 00 B8; 68 bytes in all.
// split_halves (byte j = code j | code j+4 << 4):
//   row 0 -> D9 26 FB 04, row 1 -> 47 A5 89 06
//
// Asymmetric 2-bit, group 8, f16 scale, ui8 zero point (range includes 0):
//   row 0: [-8, 7] -> scale 15/3 = 5, zero round(8/5) = 2
//     codes round(x/5) + 2 = [2 2 3 1 3 1 3 0] -> bytes 7A 37 (lsb first)
//   row 1: [-1, 4] -> scale 5/3 (f16 0x3EAB = 1.6669921875), zero round(0.59988) = 1
//     codes round(x/s) + 1 = [1 2 1 2 2 0 1 3] -> bytes 99 D2
//   scales at 64: 00 45 AB 3E; zero points at 128: 02 01; 130 bytes.

// CHECK-LABEL: func.func @hand_computed
// CHECK: %[[W:.*]] = lowbit.constant dense_resource<[[BLOB:.*]]> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8, scale = f16>>
// CHECK-NOT: arith.constant
// CHECK: lowbit.linear %{{.*}}, %[[W]] : tensor<3x8xf32>, !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8, scale = f16>> -> tensor<3x2xf32>
// CHECK: [[BLOB]]: "0x40000000694B2D0F5769A408{{(0{112})}}003C00B8"

// SPLIT-LABEL: func.func @hand_computed
// SPLIT: lowbit.constant {{.*}} : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8, scale = f16, order = split_halves>>
// SPLIT: "0x40000000D926FB0447A58906{{(0{112})}}003C00B8"

// ASYM-LABEL: func.func @hand_computed
// ASYM: lowbit.constant {{.*}} : tensor<130xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 2, group_size = 8, scheme = asymmetric, scale = f16, zero_point = ui8>>
// ASYM: "0x400000007A3799D2{{(0{120})}}0045AB3E{{(0{120})}}0201"
func.func @hand_computed(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0],
                             [0.5, 1.5, -0.5, 1.0, 2.0, -1.0, 0.0, 4.0]]> : tensor<2x8xf32>
  %y = lowbit.linear %x, %w : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Padding rule: K = 12 is not a multiple of the group (8). The second group
// holds [2 -4 1 0] and 4 padding positions; its scale comes from the real
// values only (-4/-8 = 0.5 = 0x3800) and padding gets the code of 0 (8):
//   codes [12 0 10 8 | 8 8 8 8] -> bytes 0C 8A 88 88
// CHECK-LABEL: func.func @padded_group
// CHECK: lowbit.constant dense_resource<[[BLOB:.*]]> : tensor<68xi8> -> !lowbit.packed<tensor<1x12xf32>
// CHECK: [[BLOB]]: "0x40000000694B2D0F0C8A8888{{(0{112})}}003C0038"
func.func @padded_group(%x: tensor<12xf32>) -> tensor<1xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0, 2.0, -4.0, 1.0, 0.0]]> : tensor<1x12xf32>
  %y = lowbit.linear %x, %w : tensor<12xf32>, tensor<1x12xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

// A weight shared by two linears is packed once; a weight that is not a
// constant is left alone.
// CHECK-LABEL: func.func @shared_and_dynamic
// CHECK-SAME: %[[DYN:[a-z0-9]+]]: tensor<2x8xf32>
// CHECK: %[[W:.*]] = lowbit.constant
// CHECK-NOT: lowbit.constant
// CHECK: lowbit.linear %{{.*}}, %[[W]]
// CHECK: lowbit.linear %{{.*}}, %[[W]]
// CHECK: lowbit.linear %{{.*}}, %[[DYN]] : tensor<3x8xf32>, tensor<2x8xf32>
func.func @shared_and_dynamic(%x: tensor<3x8xf32>, %dynamic: tensor<2x8xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x8xf32>
  %a = lowbit.linear %x, %w : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  %b = lowbit.linear %x, %w : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  %c = lowbit.linear %x, %dynamic : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return %a, %b, %c : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Weights stored as a dense_resource (how imported initializers arrive) are
// read from the blob: row 0 of the first example, so the same 4 code bytes.
// CHECK-LABEL: func.func @resource_weight
// CHECK: lowbit.constant dense_resource<[[BLOB:lbc_packed_weight.*]]> : tensor<66xi8>
// CHECK: [[BLOB]]: "0x40000000694B2D0F{{(0{120})}}003C"
func.func @resource_weight(%x: tensor<8xf32>) -> tensor<1xf32> {
  %w = arith.constant dense_resource<row0> : tensor<1x8xf32>
  %y = lowbit.linear %x, %w : tensor<8xf32>, tensor<1x8xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}
{-#
  dialect_resources: {
    builtin: {
      row0: "0x040000000000803F000000C000004040000080C00000A0400000C0C00000E040000000C1"
    }
  }
#-}

// -----

// lowbit.quantize of a constant takes the encoding of its result type, not the
// pass options: 8-bit, scale -8/-128 = 0.0625 (0x2C00), codes x*16 + 128.
// CHECK-LABEL: func.func @explicit_quantize
// CHECK: %[[W:.*]] = lowbit.constant dense_resource<[[BLOB:.*]]> : tensor<66xi8> -> !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 8, group_size = 8, scale = f16>>
// CHECK-NOT: lowbit.quantize
// CHECK: return %[[W]]
// CHECK: [[BLOB]]: "0x400000009060B040D020F000{{(0{112})}}002C"
func.func @explicit_quantize() -> !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 8, group_size = 8>> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0]]> : tensor<1x8xf32>
  %q = lowbit.quantize %w : tensor<1x8xf32> -> !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 8, group_size = 8>>
  return %q : !lowbit.packed<tensor<1x8xf32>, #lowbit.groupwise<bits = 8, group_size = 8>>
}
