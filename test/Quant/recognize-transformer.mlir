// RUN: lbc-opt %s --split-input-file --lbc-recognize-transformer | FileCheck %s

// One decoder block the way the importer writes it (hidden 8, 2 heads of 4,
// names say nothing): queries and keys split into heads, the keys' head
// dimension moved by a transpose before the scores contract it, values
// through probabilities x values to the output projection, a SwiGLU MLP,
// and an output head writing the model's result. Roles come from the
// dataflow: swapping the scores' operands would swap q_proj and k_proj.

#scores_q = affine_map<(h, s, t, d) -> (h, s, d)>
#scores_k = affine_map<(h, s, t, d) -> (h, d, t)>
#scores_out = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_probs = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_values = affine_map<(h, s, t, d) -> (h, t, d)>
#pv_out = affine_map<(h, s, t, d) -> (h, s, d)>
#id = affine_map<(r, c) -> (r, c)>

// CHECK-LABEL: func.func @block
// CHECK-SAME: lbc.transforms = ["block 0: q, k, v, o, gate, up, down (2 query heads, 2 key/value heads, head dim 4)", "output head: lm_head"]
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "q_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "k_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "v_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "o_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "gate_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "up_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.block = 0 : i64, lowbit.role = "down_proj"}
// CHECK: lowbit.linear %{{.*}}, %{{.*}} {lowbit.role = "lm_head"}
func.func @block(%x: tensor<3x8xf32>) -> tensor<3x16xf32> {
  %w8 = arith.constant dense<0.25> : tensor<8x8xf32>
  %w8b = arith.constant dense<0.5> : tensor<8x8xf32>
  %w8c = arith.constant dense<0.75> : tensor<8x8xf32>
  %w8d = arith.constant dense<1.0> : tensor<8x8xf32>
  %wg = arith.constant dense<0.5> : tensor<32x8xf32>
  %wu = arith.constant dense<0.25> : tensor<32x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x32xf32>
  %wh = arith.constant dense<0.5> : tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %q = lowbit.linear %x, %w8 : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %qh = tensor.expand_shape %q [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %qt_e = tensor.empty() : tensor<2x3x4xf32>
  %qt = linalg.transpose ins(%qh : tensor<3x2x4xf32>) outs(%qt_e : tensor<2x3x4xf32>) permutation = [1, 0, 2]
  %k = lowbit.linear %x, %w8b : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %kh = tensor.expand_shape %k [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %kt_e = tensor.empty() : tensor<2x4x3xf32>
  %kt = linalg.transpose ins(%kh : tensor<3x2x4xf32>) outs(%kt_e : tensor<2x4x3xf32>) permutation = [1, 2, 0]
  %s_e = tensor.empty() : tensor<2x3x3xf32>
  %s_z = linalg.fill ins(%zero : f32) outs(%s_e : tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %probs = linalg.generic {indexing_maps = [#scores_q, #scores_k, #scores_out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%qt, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>) outs(%s_z : tensor<2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x3xf32>
  %v = lowbit.linear %x, %w8c : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %vh = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %vt_e = tensor.empty() : tensor<2x3x4xf32>
  %vt = linalg.transpose ins(%vh : tensor<3x2x4xf32>) outs(%vt_e : tensor<2x3x4xf32>) permutation = [1, 0, 2]
  %pv_e = tensor.empty() : tensor<2x3x4xf32>
  %pv_z = linalg.fill ins(%zero : f32) outs(%pv_e : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %pv = linalg.generic {indexing_maps = [#pv_probs, #pv_values, #pv_out], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%probs, %vt : tensor<2x3x3xf32>, tensor<2x3x4xf32>) outs(%pv_z : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %val: f32, %acc: f32):
    %m = arith.mulf %p, %val : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %ot_e = tensor.empty() : tensor<3x2x4xf32>
  %ot = linalg.transpose ins(%pv : tensor<2x3x4xf32>) outs(%ot_e : tensor<3x2x4xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %ot [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %o = lowbit.linear %merged, %w8d : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %g = lowbit.linear %o, %wg : tensor<3x8xf32>, tensor<32x8xf32> -> tensor<3x32xf32>
  %u = lowbit.linear %o, %wu : tensor<3x8xf32>, tensor<32x8xf32> -> tensor<3x32xf32>
  %e = tensor.empty() : tensor<3x32xf32>
  %silu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%g : tensor<3x32xf32>) outs(%e : tensor<3x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %r = arith.divf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<3x32xf32>
  %h = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%silu, %u : tensor<3x32xf32>, tensor<3x32xf32>) outs(%e : tensor<3x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x32xf32>
  %down = lowbit.linear %h, %wd : tensor<3x32xf32>, tensor<8x32xf32> -> tensor<3x8xf32>
  %logits = lowbit.linear %down, %wh : tensor<3x8xf32>, tensor<16x8xf32> -> tensor<3x16xf32>
  return %logits : tensor<3x16xf32>
}

// -----

// No transformer: a linear writing the function's result is no output head
// without a decoder before it.
// CHECK-LABEL: func.func @not_a_transformer
// CHECK-SAME: lbc.transforms = ["no transformer structure recognised"]
// CHECK-NOT: lowbit.role
func.func @not_a_transformer(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<0.25> : tensor<8x8xf32>
  %y = lowbit.linear %x, %w : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %e = tensor.empty() : tensor<3x8xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<3x8xf32>) outs(%e : tensor<3x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<3x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%z : tensor<3x8xf32>) outs(%e : tensor<3x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    linalg.yield %a : f32
  } -> tensor<3x8xf32>
  return %sum : tensor<3x8xf32>
}
