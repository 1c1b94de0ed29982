// RUN: lbc-opt %s --split-input-file --lbc-rotate-residual --verify-diagnostics | FileCheck %s

// A one-block transformer the way the importer writes it (hidden 8): token
// embedding (a gather from a constant table), RMSNorm (x^2, sum, / n + eps,
// sqrt, 1 / s, x * r, * weight), a linear reading the norm, one writing the
// residual add, the final norm and the head. The norm weights are folded
// (the linears read x * r directly) and every weight becomes a rotated
// constant. The numbers are checked end to end on the Llama models
// (Integration/smoothrot.test: outputs equal torch's).

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
#scalar = affine_map<(d0, d1) -> ()>
#channel = affine_map<(d0, d1) -> (d1)>
#rowred = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @block
// CHECK: %[[TABLE:.*]] = arith.constant dense_resource<lbc_rotated_embedding> : tensor<4x8xf32>
// CHECK: tensor.extract %[[TABLE]]
// CHECK: %[[Y1:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x1xf32>)
// CHECK: %[[WQ:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: %[[Q:.*]] = lowbit.linear %[[Y1]], %[[WQ]]
// CHECK: %[[WO:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<8x8xf32>
// CHECK: lowbit.linear %[[Q]], %[[WO]]
// CHECK: %[[Y2:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x1xf32>)
// CHECK: %[[WH:.*]] = arith.constant dense_resource<lbc_rotated_weight{{.*}}> : tensor<16x8xf32>
// CHECK: lowbit.linear %[[Y2]], %[[WH]]
// expected-remark @+1 {{lbc-rotate-residual: rotated the residual stream of @block (8 channels): 2 RMSNorm weights folded, 2 linears rotated on their inputs, 1 on their outputs}}
func.func @block(%ids: tensor<4xi64>) -> (tensor<4x16xf32>) {
  %table = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]]> : tensor<4x8xf32>
  %g1 = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0]> : tensor<8xf32>
  %g2 = arith.constant dense<2.0> : tensor<8xf32>
  %wq = arith.constant dense<0.25> : tensor<8x8xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %wh = arith.constant dense<0.5> : tensor<16x8xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eight = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e0 = tensor.empty() : tensor<4x8xf32>
  %emb = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%id: i64, %o: f32):
    %i = arith.index_cast %id : i64 to index
    %j = linalg.index 1 : index
    %v = tensor.extract %table[%i, %j] : tensor<4x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %sq1_e = tensor.empty() : tensor<4x8xf32>
  %sq1 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %two : tensor<4x8xf32>, tensor<f32>) outs(%sq1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = math.powf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x8xf32>
  %sum1_e = tensor.empty() : tensor<4xf32>
  %sum1_z = linalg.fill ins(%zero : f32) outs(%sum1_e : tensor<4xf32>) -> tensor<4xf32>
  %sum1 = linalg.generic {indexing_maps = [#id, #rowred], iterator_types = ["parallel", "reduction"]} ins(%sq1 : tensor<4x8xf32>) outs(%sum1_z : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sum1_2 = tensor.expand_shape %sum1 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %r1_e = tensor.empty() : tensor<4x1xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%sum1_2 : tensor<4x1xf32>) outs(%r1_e : tensor<4x1xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.divf %a, %eight : f32
    %e = arith.addf %m, %eps : f32
    %s = math.sqrt %e : f32
    %i = arith.divf %one, %s : f32
    linalg.yield %i : f32
  } -> tensor<4x1xf32>
  %y1_e = tensor.empty() : tensor<4x8xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %r1 : tensor<4x8xf32>, tensor<4x1xf32>) outs(%y1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %z1_e = tensor.empty() : tensor<4x8xf32>
  %z1 = linalg.generic {indexing_maps = [#id, #channel, #id], iterator_types = ["parallel", "parallel"]} ins(%y1, %g1 : tensor<4x8xf32>, tensor<8xf32>) outs(%z1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %q = lowbit.linear %z1, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o = lowbit.linear %q, %wo : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %o : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e1 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sq2_e = tensor.empty() : tensor<4x8xf32>
  %sq2 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %two : tensor<4x8xf32>, tensor<f32>) outs(%sq2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = math.powf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x8xf32>
  %sum2_e = tensor.empty() : tensor<4xf32>
  %sum2_z = linalg.fill ins(%zero : f32) outs(%sum2_e : tensor<4xf32>) -> tensor<4xf32>
  %sum2 = linalg.generic {indexing_maps = [#id, #rowred], iterator_types = ["parallel", "reduction"]} ins(%sq2 : tensor<4x8xf32>) outs(%sum2_z : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sum2_2 = tensor.expand_shape %sum2 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %r2_e = tensor.empty() : tensor<4x1xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%sum2_2 : tensor<4x1xf32>) outs(%r2_e : tensor<4x1xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.divf %a, %eight : f32
    %e = arith.addf %m, %eps : f32
    %s = math.sqrt %e : f32
    %i = arith.divf %one, %s : f32
    linalg.yield %i : f32
  } -> tensor<4x1xf32>
  %y2_e = tensor.empty() : tensor<4x8xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %r2 : tensor<4x8xf32>, tensor<4x1xf32>) outs(%y2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %z2_e = tensor.empty() : tensor<4x8xf32>
  %z2 = linalg.generic {indexing_maps = [#id, #channel, #id], iterator_types = ["parallel", "parallel"]} ins(%y2, %g2 : tensor<4x8xf32>, tensor<8xf32>) outs(%z2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %logits = lowbit.linear %z2, %wh : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  return %logits : tensor<4x16xf32>
}

// -----

// The residual stream is also a result: rotating it would change that
// output, so nothing changes.
// CHECK-LABEL: func.func @stream_returned
// CHECK-NOT: dense_resource
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
#scalar = affine_map<(d0, d1) -> ()>
#channel = affine_map<(d0, d1) -> (d1)>
#rowred = affine_map<(d0, d1) -> (d0)>
// expected-remark @+1 {{lbc-rotate-residual: the residual stream of @stream_returned is not rotated: the residual stream is a model output}}
func.func @stream_returned(%ids: tensor<4xi64>) -> (tensor<4x16xf32>, tensor<4x8xf32>) {
  %table = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]]> : tensor<4x8xf32>
  %g1 = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0]> : tensor<8xf32>
  %g2 = arith.constant dense<2.0> : tensor<8xf32>
  %wq = arith.constant dense<0.25> : tensor<8x8xf32>
  %wo = arith.constant dense<0.125> : tensor<8x8xf32>
  %wh = arith.constant dense<0.5> : tensor<16x8xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eight = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e0 = tensor.empty() : tensor<4x8xf32>
  %emb = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%id: i64, %o: f32):
    %i = arith.index_cast %id : i64 to index
    %j = linalg.index 1 : index
    %v = tensor.extract %table[%i, %j] : tensor<4x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %sq1_e = tensor.empty() : tensor<4x8xf32>
  %sq1 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %two : tensor<4x8xf32>, tensor<f32>) outs(%sq1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = math.powf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x8xf32>
  %sum1_e = tensor.empty() : tensor<4xf32>
  %sum1_z = linalg.fill ins(%zero : f32) outs(%sum1_e : tensor<4xf32>) -> tensor<4xf32>
  %sum1 = linalg.generic {indexing_maps = [#id, #rowred], iterator_types = ["parallel", "reduction"]} ins(%sq1 : tensor<4x8xf32>) outs(%sum1_z : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sum1_2 = tensor.expand_shape %sum1 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %r1_e = tensor.empty() : tensor<4x1xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%sum1_2 : tensor<4x1xf32>) outs(%r1_e : tensor<4x1xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.divf %a, %eight : f32
    %e = arith.addf %m, %eps : f32
    %s = math.sqrt %e : f32
    %i = arith.divf %one, %s : f32
    linalg.yield %i : f32
  } -> tensor<4x1xf32>
  %y1_e = tensor.empty() : tensor<4x8xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %r1 : tensor<4x8xf32>, tensor<4x1xf32>) outs(%y1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %z1_e = tensor.empty() : tensor<4x8xf32>
  %z1 = linalg.generic {indexing_maps = [#id, #channel, #id], iterator_types = ["parallel", "parallel"]} ins(%y1, %g1 : tensor<4x8xf32>, tensor<8xf32>) outs(%z1_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %q = lowbit.linear %z1, %wq : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %o = lowbit.linear %q, %wo : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %o : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e1 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sq2_e = tensor.empty() : tensor<4x8xf32>
  %sq2 = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %two : tensor<4x8xf32>, tensor<f32>) outs(%sq2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = math.powf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x8xf32>
  %sum2_e = tensor.empty() : tensor<4xf32>
  %sum2_z = linalg.fill ins(%zero : f32) outs(%sum2_e : tensor<4xf32>) -> tensor<4xf32>
  %sum2 = linalg.generic {indexing_maps = [#id, #rowred], iterator_types = ["parallel", "reduction"]} ins(%sq2 : tensor<4x8xf32>) outs(%sum2_z : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %sum2_2 = tensor.expand_shape %sum2 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %r2_e = tensor.empty() : tensor<4x1xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%sum2_2 : tensor<4x1xf32>) outs(%r2_e : tensor<4x1xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.divf %a, %eight : f32
    %e = arith.addf %m, %eps : f32
    %s = math.sqrt %e : f32
    %i = arith.divf %one, %s : f32
    linalg.yield %i : f32
  } -> tensor<4x1xf32>
  %y2_e = tensor.empty() : tensor<4x8xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %r2 : tensor<4x8xf32>, tensor<4x1xf32>) outs(%y2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %z2_e = tensor.empty() : tensor<4x8xf32>
  %z2 = linalg.generic {indexing_maps = [#id, #channel, #id], iterator_types = ["parallel", "parallel"]} ins(%y2, %g2 : tensor<4x8xf32>, tensor<8xf32>) outs(%z2_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %logits = lowbit.linear %z2, %wh : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  return %logits, %res : tensor<4x16xf32>, tensor<4x8xf32>
}

// -----

// A LayerNorm (the stream centred by its mean over the channels) is refused
// by name: only RMSNorm models are rotated.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NOT: dense_resource
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
#rowred = affine_map<(d0, d1) -> (d0)>
// expected-remark @+1 {{lbc-rotate-residual: the residual stream of @layer_norm is not rotated: the stream is centred (x - mean over the channels): a LayerNorm; only RMSNorm models are rotated (QuaRot's conversion of LayerNorm into RMSNorm is not implemented)}}
func.func @layer_norm(%ids: tensor<4xi64>) -> tensor<4x16xf32> {
  %table = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.5, -1.0, 1.5, -2.0, 2.5, -3.0, 3.5, -4.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0]]> : tensor<4x8xf32>
  %wh = arith.constant dense<0.5> : tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8xf32>
  %emb = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%id: i64, %o: f32):
    %i = arith.index_cast %id : i64 to index
    %j = linalg.index 1 : index
    %v = tensor.extract %table[%i, %j] : tensor<4x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %sum_e = tensor.empty() : tensor<4xf32>
  %sum_z = linalg.fill ins(%zero : f32) outs(%sum_e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #rowred], iterator_types = ["parallel", "reduction"]} ins(%emb : tensor<4x8xf32>) outs(%sum_z : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %mean = tensor.expand_shape %sum [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %centred_e = tensor.empty() : tensor<4x8xf32>
  %centred = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%emb, %mean : tensor<4x8xf32>, tensor<4x1xf32>) outs(%centred_e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %m: f32, %c: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %logits = lowbit.linear %centred, %wh : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  return %logits : tensor<4x16xf32>
}
