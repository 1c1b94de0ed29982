// RUN: lbc-opt %s --split-input-file --lbc-smoothrot --verify-diagnostics | FileCheck %s
// RUN: not lbc-opt %s --split-input-file --lbc-smoothrot=hadamard=false 2>/dev/null | FileCheck %s --check-prefix=NOROT

// An MLP the way lbc-raise-linear leaves it: up and gate linears on rows,
// reshaped back, silu(gate) * up, reshaped to rows, down. Smoothing replaces
// up's and down's weights (gate's stays); the rotation adds lowbit.hadamard
// before down (2048 = 2^11).

// CHECK-LABEL: func.func @mlp
// CHECK: %[[GATE:.*]] = arith.constant dense<5.000000e-01> : tensor<2048x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[GATE]]
// CHECK: %[[UP:.*]] = arith.constant dense_resource<lbc_smoothed_weight{{.*}}> : tensor<2048x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[UP]]
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape
// CHECK: %[[ROTATED:.*]] = lowbit.hadamard %[[ROWS]] : tensor<4x2048xf32>
// CHECK: %[[DOWN:.*]] = arith.constant dense_resource<lbc_smoothed_weight{{.*}}> : tensor<8x2048xf32>
// CHECK: lowbit.linear %[[ROTATED]], %[[DOWN]] {lbc.transforms = ["smoothed (alpha 0.5)", "R4: online Hadamard 2048 = 2048 x 1"]} : tensor<4x2048xf32>, tensor<8x2048xf32>
// CHECK-NOT: lbc.input_absmax
// CHECK: return
// NOROT-LABEL: func.func @mlp
// NOROT-NOT: lowbit.hadamard
// NOROT: return
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// expected-remark @+1 {{lbc-smoothrot: smoothed 1 MLP down projection(s) of @mlp (alpha 0.5), 1 rotated online}}
func.func @mlp(%x: tensor<4x8xf32>) -> tensor<1x4x8xf32> {
  %wg = arith.constant dense<0.5> : tensor<2048x8xf32>
  %wu = arith.constant dense<0.25> : tensor<2048x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x2048xf32>
  %g = lowbit.linear %x, %wg : tensor<4x8xf32>, tensor<2048x8xf32> -> tensor<4x2048xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<2048x8xf32> -> tensor<4x2048xf32>
  %g3 = tensor.expand_shape %g [[0, 1], [2]] output_shape [1, 4, 2048] : tensor<4x2048xf32> into tensor<1x4x2048xf32>
  %u3 = tensor.expand_shape %u [[0, 1], [2]] output_shape [1, 4, 2048] : tensor<4x2048xf32> into tensor<1x4x2048xf32>
  %e = tensor.empty() : tensor<1x4x2048xf32>
  %silu = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%g3 : tensor<1x4x2048xf32>) outs(%e : tensor<1x4x2048xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %q = arith.divf %a, %d : f32
    linalg.yield %q : f32
  } -> tensor<1x4x2048xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%silu, %u3 : tensor<1x4x2048xf32>, tensor<1x4x2048xf32>) outs(%e : tensor<1x4x2048xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x4x2048xf32>
  %rows = tensor.collapse_shape %h [[0, 1], [2]] : tensor<1x4x2048xf32> into tensor<4x2048xf32>
  %y = lowbit.linear %rows, %wd {lbc.input_absmax = dense<2.0> : tensor<2048xf32>} : tensor<4x2048xf32>, tensor<8x2048xf32> -> tensor<4x8xf32>
  %y3 = tensor.expand_shape %y [[0, 1], [2]] output_shape [1, 4, 8] : tensor<4x8xf32> into tensor<1x4x8xf32>
  return %y3 : tensor<1x4x8xf32>
}

// -----

// 90 = 2 * 45 has no Hadamard matrix: smoothed, not rotated.
// CHECK-LABEL: func.func @no_hadamard
// CHECK-NOT: lowbit.hadamard
// CHECK: return
#map = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @+1 {{smoothed 1 MLP down projection(s) of @no_hadamard (alpha 0.5), 0 rotated online}}
func.func @no_hadamard(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %wg = arith.constant dense<0.5> : tensor<90x8xf32>
  %wu = arith.constant dense<0.25> : tensor<90x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x90xf32>
  %g = lowbit.linear %x, %wg : tensor<4x8xf32>, tensor<90x8xf32> -> tensor<4x90xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<90x8xf32> -> tensor<4x90xf32>
  %e = tensor.empty() : tensor<4x90xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%u, %g : tensor<4x90xf32>, tensor<4x90xf32>) outs(%e : tensor<4x90xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %b, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x90xf32>
  // expected-remark @+1 {{lbc-smoothrot: no Hadamard matrix of size 90}}
  %y = lowbit.linear %h, %wd {lbc.input_absmax = dense<2.0> : tensor<90xf32>} : tensor<4x90xf32>, tensor<8x90xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The product is also returned: scaling up's rows would change that result,
// so nothing matches.
// CHECK-LABEL: func.func @product_used_twice
// CHECK-NOT: lowbit.hadamard
// CHECK: arith.constant dense<1.250000e-01> : tensor<8x64xf32>
#map = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @+1 {{lbc-smoothrot: no MLP down projection}}
func.func @product_used_twice(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x64xf32>) {
  %wg = arith.constant dense<0.5> : tensor<64x8xf32>
  %wu = arith.constant dense<0.25> : tensor<64x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x64xf32>
  %g = lowbit.linear %x, %wg : tensor<4x8xf32>, tensor<64x8xf32> -> tensor<4x64xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<64x8xf32> -> tensor<4x64xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%g, %u : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x64xf32>
  %y = lowbit.linear %h, %wd {lbc.input_absmax = dense<2.0> : tensor<64xf32>} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %y, %h : tensor<4x8xf32>, tensor<4x64xf32>
}

// -----

// Squaring up's own output is not a gate: no match.
// CHECK-LABEL: func.func @square
// CHECK-NOT: lowbit.hadamard
#map = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @+1 {{lbc-smoothrot: no MLP down projection}}
func.func @square(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %wu = arith.constant dense<0.25> : tensor<64x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x64xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<64x8xf32> -> tensor<4x64xf32>
  %c = arith.constant dense<1.0> : tensor<4x64xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%u, %c : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4x64xf32>
  %y = lowbit.linear %h, %wd {lbc.input_absmax = dense<2.0> : tensor<64xf32>} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A matched down projection without statistics is an error.
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @no_statistics(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %wg = arith.constant dense<0.5> : tensor<64x8xf32>
  %wu = arith.constant dense<0.25> : tensor<64x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x64xf32>
  %g = lowbit.linear %x, %wg : tensor<4x8xf32>, tensor<64x8xf32> -> tensor<4x64xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<64x8xf32> -> tensor<4x64xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%g, %u : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x64xf32>
  // expected-error @+1 {{lbc-smoothrot: this MLP down projection has no calibration statistics (lbc.input_absmax); compile with --calib=DIR or --calib=synthetic}}
  %y = lowbit.linear %h, %wd : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
