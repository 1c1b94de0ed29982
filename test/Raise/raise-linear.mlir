// RUN: lbc-opt %s --split-input-file --pass-pipeline="builtin.module(lbc-raise-linear,func.func(canonicalize))" | FileCheck %s

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A product with a constant B [K=2, N=3] is a linear layer: W = B^T [3, 2]
// made at compile time (rows of W are B's columns).
// CHECK-LABEL: func.func @constant_weight
// CHECK: %[[W:.*]] = arith.constant dense_resource<lbc_linear_weight> : tensor<3x2xf32>
// CHECK: %[[Y:.*]] = lowbit.linear %arg0, %[[W]] : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
// W's floats, little-endian: 1, 4, 2, 5, 3, 6.
// CHECK: lbc_linear_weight: "0x{{[0-9A-F]+}}0000803F00008040000000400000A040000040400000C040"
func.func @constant_weight(%a: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %b = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<4x2xf32>, tensor<2x3xf32>) outs(%c : tensor<4x3xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// An accumulator other than zeros (a Gemm bias) is added to the linear.
// CHECK-LABEL: func.func @accumulator
// CHECK: %[[Y:.*]] = lowbit.linear %arg0, %{{.*}} : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %arg1 : tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK: arith.addf
func.func @accumulator(%a: tensor<4x2xf32>, %c: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %b = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<4x2xf32>, tensor<2x3xf32>) outs(%c : tensor<4x3xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// B computed at run time (attention's K^T) is not a weight.
// CHECK-LABEL: func.func @runtime_operand
// CHECK-NOT: lowbit.linear
// CHECK: linalg.generic
func.func @runtime_operand(%a: tensor<4x2xf32>, %b: tensor<2x3xf32>, %c: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<4x2xf32>, tensor<2x3xf32>) outs(%c : tensor<4x3xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
