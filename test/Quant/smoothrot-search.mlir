// RUN: lbc-opt %s --split-input-file --lbc-smoothrot="alpha-search=true search-weight-bits=0 search-activation-bits=4 search-per-token=true hadamard=false" 2>&1 | FileCheck %s
// RUN: sed -e 's/, lbc.input_rows = dense<[^>]*> : tensor<4x32xf32>//' %s | not lbc-opt - --lbc-smoothrot="alpha-search=true" 2>&1 | FileCheck %s --check-prefix=MISSING

// SmoothRot's alpha search on a down projection whose calibration rows
// (lbc.input_rows) carry one outlier channel 100x the others: with 4-bit
// per-token inputs the outlier takes the whole scale and every other
// channel rounds to zero unless smoothing moves it into the weight, so the
// search must pick a strong migration (alpha >= 0.5) over alpha = 0 (which
// only rescales all channels alike and leaves the rounding as it is).

// CHECK: remark: lbc-smoothrot: smoothed 1 MLP down projection(s) of @mlp (alpha searched: {{(0\.[5-9][0-9]*|1)}}), 0 rotated online
// CHECK-LABEL: func.func @mlp
// CHECK: lowbit.linear {{.*}}lbc.transforms = ["smoothed (alpha {{(0\.[5-9][0-9]*|1)}}, searched: output error {{.*}} of alpha 0.5's)"]
// CHECK-NOT: lbc.input_rows
// CHECK: return

// Without the rows the search cannot run: an error, not a silent default.
// MISSING: error: lbc-smoothrot: alpha-search needs this down projection's calibration rows (lbc.input_rows); compile with --calib

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @mlp(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %wg = arith.constant dense<0.5> : tensor<32x8xf32>
  %wu = arith.constant dense<0.25> : tensor<32x8xf32>
  %wd = arith.constant dense<0.125> : tensor<8x32xf32>
  %g = lowbit.linear %x, %wg : tensor<4x8xf32>, tensor<32x8xf32> -> tensor<4x32xf32>
  %u = lowbit.linear %x, %wu : tensor<4x8xf32>, tensor<32x8xf32> -> tensor<4x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%g, %u : tensor<4x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x32xf32>
  %y = lowbit.linear %h, %wd {lbc.input_absmax = dense<[100.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8]> : tensor<32xf32>, lbc.input_rows = dense<[[100.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0], [-100.0, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8], [100.0, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6], [-100.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2, 0.4, 1.0, -0.6, 0.0, 0.6, -1.0, -0.4, 0.2, 0.8, -0.8, -0.2]]> : tensor<4x32xf32>} : tensor<4x32xf32>, tensor<8x32xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
