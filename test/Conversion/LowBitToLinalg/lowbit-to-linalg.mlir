// RUN: lbc-opt %s --lbc-convert-lowbit-to-linalg | FileCheck %s

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
