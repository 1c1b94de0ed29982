// RUN: lbc-opt %s --lbc-instrument-linears | FileCheck %s
// RUN: lbc-opt %s --lbc-instrument-linears=function=other | FileCheck %s --check-prefix=OTHER
// RUN: not lbc-opt %s --lbc-instrument-linears=function=missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: lbc-opt %s --lbc-instrument-linears=gram=true | FileCheck %s --check-prefix=GRAM
// RUN: lbc-opt %s --lbc-instrument-linears=function=shared | FileCheck %s --check-prefix=SHARED

// Each linear's input gets max|x| and sum x^2 per channel over its rows, and
// its row count, as extra results named after the linear's walk index; the
// model's own result stays first.

// CHECK-LABEL: func.func @lbc_model
// CHECK-SAME: -> (tensor<2x3x4xf32> {lbc.name = "y"},
// CHECK-SAME: tensor<8xf32> {lbc.name = "calibration.0.absmax"}, tensor<8xf32> {lbc.name = "calibration.0.sum_squares"}, tensor<1xf32> {lbc.name = "calibration.0.rows"},
// CHECK-SAME: tensor<5xf32> {lbc.name = "calibration.1.absmax"}, tensor<5xf32> {lbc.name = "calibration.1.sum_squares"}, tensor<1xf32> {lbc.name = "calibration.1.rows"})
// CHECK: %[[ROWS0:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
// CHECK: %[[MAX0:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[ROWS0]] : tensor<6x8xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[SQ0:.*]] = linalg.generic {{.*}} ins(%[[ROWS0]] : tensor<6x8xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[N0:.*]] = tensor.from_elements %{{.*}} : tensor<1xf32>
// CHECK: return %{{.*}}, %[[MAX0]], %[[SQ0]], %[[N0]], %{{.*}}, %{{.*}}, %{{.*}} :

// OTHER-LABEL: func.func @lbc_model
// OTHER-SAME: -> (tensor<2x3x4xf32> {lbc.name = "y"})
// OTHER-LABEL: func.func @other
// OTHER-SAME: tensor<3xf32> {lbc.name = "calibration.0.absmax"}

// MISSING: lbc-instrument-linears: no @missing with a single block to instrument

// With gram (GPTQ), X^T X follows: rows outermost, outer products along j.
// GRAM-LABEL: func.func @lbc_model
// GRAM-SAME: tensor<1xf32> {lbc.name = "calibration.0.rows"}, tensor<8x8xf32> {lbc.name = "calibration.0.gram"}
// GRAM: %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
// GRAM: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[ROWS]], %[[ROWS]] : tensor<6x8xf32>, tensor<6x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// GRAM: arith.mulf
// GRAM: arith.addf

func.func @lbc_model(%x: tensor<2x3x8xf32>, %w1: tensor<5x8xf32>, %w2: tensor<4x5xf32>) -> (tensor<2x3x4xf32> {lbc.name = "y"}) {
  %h = lowbit.linear %x, %w1 : tensor<2x3x8xf32>, tensor<5x8xf32> -> tensor<2x3x5xf32>
  %y = lowbit.linear %h, %w2 : tensor<2x3x5xf32>, tensor<4x5xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

func.func @other(%x: tensor<?x3xf32>, %w: tensor<2x3xf32>) -> tensor<?x2xf32> {
  %y = lowbit.linear %x, %w : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// Two linears reading one value (q/k/v, gate/up) get one set of statistics,
// under the first one's index.
// SHARED-LABEL: func.func @shared
// SHARED-SAME: -> (tensor<?x2xf32>, tensor<?x4xf32>, tensor<3xf32> {lbc.name = "calibration.0.absmax"}, tensor<3xf32> {lbc.name = "calibration.0.sum_squares"}, tensor<1xf32> {lbc.name = "calibration.0.rows"})
// SHARED-NOT: calibration.1
func.func @shared(%x: tensor<?x3xf32>, %w: tensor<2x3xf32>, %v: tensor<4x3xf32>) -> (tensor<?x2xf32>, tensor<?x4xf32>) {
  %y = lowbit.linear %x, %w : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  %z = lowbit.linear %x, %v : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x4xf32>
}
