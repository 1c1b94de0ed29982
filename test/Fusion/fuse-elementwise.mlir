// RUN: lbc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lbc-fuse-elementwise))" | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// An activation after a bias add: both read each element once, so they fuse
// into one generic.
// CHECK-LABEL: func.func @chain
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %a, %z : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %m : tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#A = affine_map<(m, k, n) -> (m, k)>
#B = affine_map<(m, k, n) -> (k, n)>
#C = affine_map<(m, k, n) -> (m, n)>

// The activation feeding a marked contraction stays a separate generic:
// fused, it would be recomputed for each of the 16 output columns.
// CHECK-LABEL: func.func @contraction
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK: linalg.generic {{.*}}lbc.contraction
// CHECK-NOT: math.exp
func.func @contraction(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) attrs = {lbc.contraction} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#window = affine_map<(k, o) -> (k + o)>
#out = affine_map<(k, o) -> (k, o)>
#in1 = affine_map<(d0) -> (d0)>

// An im2col-style consumer reads each element for several kernel taps; the
// producer is not duplicated into it.
// CHECK-LABEL: func.func @window
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: linalg.yield
// CHECK: linalg.generic
// CHECK-NOT: math.tanh
func.func @window(%x: tensor<10xf32>) -> tensor<3x8xf32> {
  %e = tensor.empty() : tensor<10xf32>
  %t = linalg.generic {indexing_maps = [#in1, #in1], iterator_types = ["parallel"]} ins(%x : tensor<10xf32>) outs(%e : tensor<10xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.tanh %v : f32
    linalg.yield %r : f32
  } -> tensor<10xf32>
  %e2 = tensor.empty() : tensor<3x8xf32>
  %c = linalg.generic {indexing_maps = [#window, #out], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<10xf32>) outs(%e2 : tensor<3x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<3x8xf32>
  return %c : tensor<3x8xf32>
}
