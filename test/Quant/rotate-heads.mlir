// RUN: lbc-opt %s --split-input-file --lbc-rotate-heads --verify-diagnostics | FileCheck %s

// Attention over 2 heads of 4 channels the way the importer writes it: the
// value projection's output split into heads, moved head-major, multiplied
// by the attention probabilities (a contraction over the keys), moved back,
// merged and read by the output projection. Both weights become rotated
// constants; the query-like projection, whose heads are contracted in the
// scores, is not a value projection and stays as it is. The numbers are
// checked end to end on the Llama models (Integration/smoothrot.test).

#scores_lhs = affine_map<(h, s, t, d) -> (h, s, d)>
#scores_rhs = affine_map<(h, s, t, d) -> (h, t, d)>
#scores_out = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_probs = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_values = affine_map<(h, s, t, d) -> (h, t, d)>
#pv_out = affine_map<(h, s, t, d) -> (h, s, d)>

// CHECK-LABEL: func.func @attention
// CHECK: %[[WQ:.*]] = arith.constant dense<2.500000e-01> : tensor<8x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[WQ]] :
// CHECK: %[[WV:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[WV]] {lbc.transforms = ["R2 on outputs (per head of 4)"]}
// CHECK: %[[WO:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[WO]] {lbc.transforms = ["R2 on inputs (per head of 4)"]}
// expected-remark @+1 {{lbc-rotate-heads: rotated 1 value/output projection pair(s) of @attention per head of 4 channels}}
func.func @attention(%x: tensor<3x8xf32>, %probs: tensor<2x3x3xf32>) -> (tensor<3x8xf32>, tensor<2x3x3xf32>) {
  %wq = arith.constant dense<0.25> : tensor<8x8xf32>
  %wv = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]]> : tensor<8x8xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  // Queries: contracted over the head dimension (scores).
  %q = lowbit.linear %x, %wq : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %qh = tensor.expand_shape %q [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %qt_e = tensor.empty() : tensor<2x3x4xf32>
  %qt = linalg.transpose ins(%qh : tensor<3x2x4xf32>) outs(%qt_e : tensor<2x3x4xf32>) permutation = [1, 0, 2]
  %s_e = tensor.empty() : tensor<2x3x3xf32>
  %s_z = linalg.fill ins(%zero : f32) outs(%s_e : tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %scores = linalg.generic {indexing_maps = [#scores_lhs, #scores_rhs, #scores_out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%qt, %qt : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%s_z : tensor<2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x3xf32>
  // Values: split, head-major, probabilities x values, back, merged.
  %v = lowbit.linear %x, %wv : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %vh = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %vt_e = tensor.empty() : tensor<2x3x4xf32>
  %vt = linalg.transpose ins(%vh : tensor<3x2x4xf32>) outs(%vt_e : tensor<2x3x4xf32>) permutation = [1, 0, 2]
  %pv_e = tensor.empty() : tensor<2x3x4xf32>
  %pv_z = linalg.fill ins(%zero : f32) outs(%pv_e : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %pv = linalg.generic {indexing_maps = [#pv_probs, #pv_values, #pv_out], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%probs, %vt : tensor<2x3x3xf32>, tensor<2x3x4xf32>) outs(%pv_z : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %val: f32, %acc: f32):
    %m = arith.mulf %p, %val fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %ot_e = tensor.empty() : tensor<3x2x4xf32>
  %ot = linalg.transpose ins(%pv : tensor<2x3x4xf32>) outs(%ot_e : tensor<3x2x4xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %ot [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %y = lowbit.linear %merged, %wo : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y, %scores : tensor<3x8xf32>, tensor<2x3x3xf32>
}

// -----

// Grouped-query attention: one value head (with a bias) broadcast to two
// query heads. The bias is rotated with the weight.

#bcast_in = affine_map<(h, s, d) -> (0, s, d)>
#bcast_out = affine_map<(h, s, d) -> (h, s, d)>
#pv_probs = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_values = affine_map<(h, s, t, d) -> (h, t, d)>
#pv_out = affine_map<(h, s, t, d) -> (h, s, d)>

// CHECK-LABEL: func.func @grouped
// CHECK-DAG: %[[WV:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<4x8xf32>
// CHECK-DAG: %[[BV:.*]] = arith.constant dense_resource<lbc_rotated_bias{{.*}}> : tensor<4xf32>
// CHECK: lowbit.linear %{{.*}}, %[[WV]], bias %[[BV]]
// CHECK: %[[WO:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: lowbit.linear %{{.*}}, %[[WO]]
// expected-remark @+1 {{rotated 1 value/output projection pair(s) of @grouped per head of 4 channels}}
func.func @grouped(%x: tensor<3x8xf32>, %probs: tensor<2x3x3xf32>) -> tensor<3x8xf32> {
  %wv = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]]> : tensor<4x8xf32>
  %bv = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %v = lowbit.linear %x, %wv, bias %bv : tensor<3x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<3x4xf32>
  %vh = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 1, 4] : tensor<3x4xf32> into tensor<3x1x4xf32>
  %vt_e = tensor.empty() : tensor<1x3x4xf32>
  %vt = linalg.transpose ins(%vh : tensor<3x1x4xf32>) outs(%vt_e : tensor<1x3x4xf32>) permutation = [1, 0, 2]
  %rep_e = tensor.empty() : tensor<2x3x4xf32>
  %rep = linalg.generic {indexing_maps = [#bcast_in, #bcast_out], iterator_types = ["parallel", "parallel", "parallel"]} ins(%vt : tensor<1x3x4xf32>) outs(%rep_e : tensor<2x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x3x4xf32>
  %pv_e = tensor.empty() : tensor<2x3x4xf32>
  %pv_z = linalg.fill ins(%zero : f32) outs(%pv_e : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %pv = linalg.generic {indexing_maps = [#pv_probs, #pv_values, #pv_out], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%probs, %rep : tensor<2x3x3xf32>, tensor<2x3x4xf32>) outs(%pv_z : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %val: f32, %acc: f32):
    %m = arith.mulf %p, %val : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %ot_e = tensor.empty() : tensor<3x2x4xf32>
  %ot = linalg.transpose ins(%pv : tensor<2x3x4xf32>) outs(%ot_e : tensor<3x2x4xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %ot [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %y = lowbit.linear %merged, %wo : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// The split values are a model output (a KV cache): rotating them would
// change what the caller stores, so nothing is rotated.

#pv_probs = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_values = affine_map<(h, s, t, d) -> (h, t, d)>
#pv_out = affine_map<(h, s, t, d) -> (h, s, d)>

// CHECK-LABEL: func.func @cache
// CHECK: arith.constant dense<5.000000e-01> : tensor<8x8xf32>
// CHECK-NOT: lbc_rotated
func.func @cache(%x: tensor<3x8xf32>, %probs: tensor<2x3x3xf32>) -> (tensor<3x8xf32>, tensor<2x3x4xf32>) {
  %wv = arith.constant dense<0.5> : tensor<8x8xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  // expected-remark @+1 {{lbc-rotate-heads: value projection not rotated: the values are a model output (a KV cache would hold them rotated) (func.return}}
  %v = lowbit.linear %x, %wv : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
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
  %y = lowbit.linear %merged, %wo : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y, %vt : tensor<3x8xf32>, tensor<2x3x4xf32>
}

// -----

// Not linear in the values: accumulating into a non-zero result (x + P V)
// and exponentiating them (exp(V)) would not commute with the rotation.

#pv_probs = affine_map<(h, s, t, d) -> (h, s, t)>
#pv_values = affine_map<(h, s, t, d) -> (h, t, d)>
#pv_out = affine_map<(h, s, t, d) -> (h, s, d)>
#id = affine_map<(h, s, d) -> (h, s, d)>

// CHECK-LABEL: func.func @nonlinear
// CHECK-NOT: lbc_rotated
func.func @nonlinear(%x: tensor<3x8xf32>, %probs: tensor<2x3x3xf32>, %init: tensor<2x3x4xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %wv = arith.constant dense<0.5> : tensor<8x8xf32>
  %wv2 = arith.constant dense<0.25> : tensor<8x8xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %wo2 = arith.constant dense<0.0625> : tensor<8x8xf32>
  // expected-remark @+1 {{value projection not rotated: the op is not linear in the values (linalg.generic}}
  %v = lowbit.linear %x, %wv : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %vh = tensor.expand_shape %v [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %vt_e = tensor.empty() : tensor<2x3x4xf32>
  %vt = linalg.transpose ins(%vh : tensor<3x2x4xf32>) outs(%vt_e : tensor<2x3x4xf32>) permutation = [1, 0, 2]
  %pv = linalg.generic {indexing_maps = [#pv_probs, #pv_values, #pv_out], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%probs, %vt : tensor<2x3x3xf32>, tensor<2x3x4xf32>) outs(%init : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %val: f32, %acc: f32):
    %m = arith.mulf %p, %val : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %ot_e = tensor.empty() : tensor<3x2x4xf32>
  %ot = linalg.transpose ins(%pv : tensor<2x3x4xf32>) outs(%ot_e : tensor<3x2x4xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %ot [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %y = lowbit.linear %merged, %wo : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  // expected-remark @+1 {{value projection not rotated: the op is not linear in the values (linalg.generic}}
  %v2 = lowbit.linear %x, %wv2 : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  %v2h = tensor.expand_shape %v2 [[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xf32> into tensor<3x2x4xf32>
  %e_e = tensor.empty() : tensor<3x2x4xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v2h : tensor<3x2x4xf32>) outs(%e_e : tensor<3x2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %ex = math.exp %in : f32
    linalg.yield %ex : f32
  } -> tensor<3x2x4xf32>
  %merged2 = tensor.collapse_shape %e [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %y2 = lowbit.linear %merged2, %wo2 : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y, %y2 : tensor<3x8xf32>, tensor<3x8xf32>
}
