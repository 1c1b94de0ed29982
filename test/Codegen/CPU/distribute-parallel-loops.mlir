// RUN: lbc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lbc-distribute-parallel-loops))" | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// 1x64x2048 points: the outermost parallel dim of size > 1 (64) is cut into
// 8 chunks of 8 that run as an scf.forall (the thread pool).
// CHECK-LABEL: func.func @large
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (8) shared_outs
// CHECK: tensor.extract_slice %{{.*}}[0, %{{.*}}, 0] [1, 8, 2048] [1, 1, 1]
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: tensor.parallel_insert_slice
func.func @large(%x: tensor<1x64x2048xf32>) -> tensor<1x64x2048xf32> {
  %e = tensor.empty() : tensor<1x64x2048xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x64x2048xf32>) outs(%e : tensor<1x64x2048xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = math.exp %v : f32
    linalg.yield %y : f32
  } -> tensor<1x64x2048xf32>
  return %r : tensor<1x64x2048xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// Small ops (waking the pool would cost more) and marked contractions (tiled
// by their own pass) stay as they are.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: scf.forall
func.func @untouched(%x: tensor<16x16xf32>, %a: tensor<512x512xf32>, %b: tensor<512x512xf32>) -> (tensor<16x16xf32>, tensor<512x512xf32>) {
  %e = tensor.empty() : tensor<16x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = math.exp %v : f32
    linalg.yield %y : f32
  } -> tensor<16x16xf32>
  %c = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<512x512xf32>, tensor<512x512xf32>) outs(%a : tensor<512x512xf32>) attrs = {lbc.contraction} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<512x512xf32>
  return %r, %c : tensor<16x16xf32>, tensor<512x512xf32>
}
