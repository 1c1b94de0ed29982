// RUN: lbc-opt %s --split-input-file --lbc-tile-and-vectorize-contractions --canonicalize | FileCheck %s

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A marked 16x8 * 8x64 contraction: n and m tiled by 32 x 8 (n outer, so a
// panel of B is reused by every row tile), k innermost with
// the 8x32 accumulator carried in registers; the product and its accumulation
// keep `contract` so that LLVM emits FMAs.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args({{.*}}) -> ({{.*}}vector<8x32xf32>)
// CHECK: arith.mulf {{.*}} fastmath<contract> : vector<8x1x32xf32>
// CHECK: arith.addf {{.*}} fastmath<contract> : vector<256xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK-NOT: linalg.generic
func.func @matmul(%a: tensor<16x8xf32>, %b: tensor<8x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<16x8xf32>, tensor<8x64xf32>) outs(%c : tensor<16x64xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// Columns that 8 does not divide (20) and unmarked generics keep their
// loops.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: scf.for
// CHECK-COUNT-2: linalg.generic
func.func @untouched(%a: tensor<12x8xf32>, %b: tensor<8x20xf32>, %c: tensor<12x20xf32>) -> (tensor<12x20xf32>, tensor<12x20xf32>) {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<12x8xf32>, tensor<8x20xf32>) outs(%c : tensor<12x20xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<12x20xf32>
  %u = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<12x8xf32>, tensor<8x20xf32>) outs(%c : tensor<12x20xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<12x20xf32>
  return %r, %u : tensor<12x20xf32>, tensor<12x20xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// 12 rows (not a multiple of 8) and 48 columns (not of 32) take the largest
// tile that divides them: 4 x 16.
// CHECK-LABEL: func.func @smaller_tiles
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args({{.*}}) -> ({{.*}}vector<4x16xf32>)
func.func @smaller_tiles(%a: tensor<12x8xf32>, %b: tensor<8x48xf32>, %c: tensor<12x48xf32>) -> tensor<12x48xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<12x8xf32>, tensor<8x48xf32>) outs(%c : tensor<12x48xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<12x48xf32>
  return %r : tensor<12x48xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A GEMV (one row) reads B row by row: steps of 8 rows of B over 64-column
// tiles, each step a vector update of the accumulator row.
// CHECK-LABEL: func.func @gemv
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c64
// CHECK: vector.transfer_read {{.*}} : tensor<8x64xf32>, vector<8x64xf32>
// CHECK: arith.addf {{.*}} fastmath<contract> : vector<64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x64xf32>, tensor<1x64xf32>
// CHECK-NOT: linalg.generic
func.func @gemv(%v: tensor<1x16xf32>, %b: tensor<16x128xf32>, %cv: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %g = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%v, %b : tensor<1x16xf32>, tensor<16x128xf32>) outs(%cv : tensor<1x128xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x128xf32>
  return %g : tensor<1x128xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A long GEMV (k = 1024, 1 MiB of B) is split into 8 slices of 128 rows of B, run in
// parallel (scf.forall: the thread pool), each into its own partial row;
// the 8 partial rows are then added to the output.
// CHECK-LABEL: func.func @gemv_slices
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [1, 8, 128]
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [8, 128, 256]
// CHECK: scf.forall (%{{.*}}) in (8) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<8x1x256xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c8
// CHECK: vector.transfer_write {{.*}} : vector<1x1x64xf32>, tensor<1x1x64xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: vector.transfer_read {{.*}} : tensor<8x1x64xf32>, vector<8x1x64xf32>
// CHECK-COUNT-8: arith.addf {{.*}} : vector<64xf32>
// CHECK-NOT: linalg.generic
func.func @gemv_slices(%v: tensor<1x1024xf32>, %b: tensor<1024x256xf32>, %cv: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %g = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%v, %b : tensor<1x1024xf32>, tensor<1024x256xf32>) outs(%cv : tensor<1x256xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  return %g : tensor<1x256xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// Large operands are first blocked 256 (k) x 256 (n), n outermost and
// parallel (scf.forall: the thread pool), so each block of B is reused from
// L2 by all row tiles; then register-tiled. Two column blocks are too few to
// share out, so the rows are cut in two as well (4 blocks).
// CHECK-LABEL: func.func @blocked
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 2)
// CHECK: tensor.extract_slice %{{.*}} [8, 512] [1, 1] : tensor<16x512xf32> to tensor<8x512xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c256
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c32
// CHECK-NOT: step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args({{.*}}) -> ({{.*}}vector<8x32xf32>)
func.func @blocked(%a: tensor<16x512xf32>, %b: tensor<512x512xf32>, %c: tensor<16x512xf32>) -> tensor<16x512xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<16x512xf32>, tensor<512x512xf32>) outs(%c : tensor<16x512xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x512xf32>
  return %r : tensor<16x512xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A single k step (an outer product) keeps its loops: LLVM vectorizes it.
// CHECK-LABEL: func.func @outer_product
// CHECK-NOT: scf.for
// CHECK: linalg.generic
func.func @outer_product(%a: tensor<16x1xf32>, %b: tensor<1x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<16x1xf32>, tensor<1x64xf32>) outs(%c : tensor<16x64xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A dynamic row count (a named dim such as the sequence): A and C are padded
// with zero rows to whole blocks of 8, a loop runs the static 8-row tiling on
// each block, and the product is sliced back to the real rows.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: tensor.dim %{{.*}}, %c0 : tensor<?x64xf32>
// CHECK: tensor.pad %arg0 low[0, 0] high[%[[EXTRA:.*]], 0]
// CHECK: } : tensor<?x16xf32> to tensor<?x16xf32>
// CHECK: tensor.pad %arg2 low[0, 0] high[%[[EXTRA]], 0]
// CHECK: } : tensor<?x64xf32> to tensor<?x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK: tensor.extract_slice {{.*}} to tensor<8x16xf32>
// CHECK: arith.mulf {{.*}} fastmath<contract> : vector<
// CHECK: tensor.insert_slice {{.*}} : tensor<8x64xf32> into tensor<?x64xf32>
// CHECK: %[[ROWS:.*]] = tensor.dim %arg2, %c0
// CHECK: tensor.extract_slice {{.*}}[0, 0] [%[[ROWS]], 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
// CHECK-NOT: linalg.generic
func.func @dynamic_rows(%a: tensor<?x16xf32>, %b: tensor<16x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A 1x1 convolution of a small CNN (n = H * W = 1920, not a multiple of 256):
// the widest column block up to 256 that divides n (192) gives 10 parallel
// blocks, an even count, so the rows stay whole.
// CHECK-LABEL: func.func @pointwise_conv
// CHECK: scf.forall (%{{.*}}) in (10) shared_outs
// CHECK: tensor.extract_slice %{{.*}} [64, 192] [1, 1] : tensor<64x1920xf32> to tensor<64x192xf32>
// CHECK: vector<8x32xf32>
func.func @pointwise_conv(%a: tensor<128x64xf32>, %b: tensor<64x1920xf32>, %c: tensor<128x1920xf32>) -> tensor<128x1920xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<128x64xf32>, tensor<64x1920xf32>) outs(%c : tensor<128x1920xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<128x1920xf32>
  return %r : tensor<128x1920xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// Few columns (96: one block): the rows are cut into the fewest pieces of
// whole 8-row tiles that give at least 8 blocks (12 rows of tiles -> 12
// pieces of 8 rows). Work below 2^18 multiply-adds stays sequential.
// CHECK-LABEL: func.func @row_blocks
// CHECK: scf.forall (%{{.*}}) in (12) shared_outs
// CHECK: tensor.extract_slice %{{.*}} [8, 72] [1, 1] : tensor<96x72xf32> to tensor<8x72xf32>
// CHECK-LABEL: func.func @too_small
// CHECK-NOT: scf.forall
func.func @row_blocks(%a: tensor<96x72xf32>, %b: tensor<72x96xf32>, %c: tensor<96x96xf32>) -> tensor<96x96xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<96x72xf32>, tensor<72x96xf32>) outs(%c : tensor<96x96xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<96x96xf32>
  return %r : tensor<96x96xf32>
}
func.func @too_small(%a: tensor<96x24xf32>, %b: tensor<24x96xf32>, %c: tensor<96x96xf32>) -> tensor<96x96xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<96x24xf32>, tensor<24x96xf32>) outs(%c : tensor<96x96xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<96x96xf32>
  return %r : tensor<96x96xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// 8 rows (a short prefill) of a 768 x 256 projection (192 Ki elements of B):
// 4 parallel blocks of 64 columns.
// CHECK-LABEL: func.func @short_prefill
// CHECK: scf.forall (%{{.*}}) in (4) shared_outs
// CHECK: tensor.extract_slice %{{.*}} [768, 64] [1, 1] : tensor<768x256xf32> to tensor<768x64xf32>
func.func @short_prefill(%a: tensor<8x768xf32>, %b: tensor<768x256xf32>, %c: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<8x768xf32>, tensor<768x256xf32>) outs(%c : tensor<8x256xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<8x256xf32>
  return %r : tensor<8x256xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// A 1x1 convolution on a 10 x 10 feature map: n = 100, which no tile width
// divides. B and C are padded with zero columns to 112, the padded product
// is tiled (8 x 16 tiles: 112 = 7 x 16) and runs in parallel row blocks, and
// the result is cut back to 100 columns. With fewer than 32 rows the shape
// keeps its loops (the copies would cost too much of the work).
// CHECK-LABEL: func.func @odd_columns
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 12]
// CHECK: tensor<384x100xf32> to tensor<384x112xf32>
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 12]
// CHECK: scf.forall
// CHECK: vector.transfer_read {{.*}} : tensor<8x16xf32>, vector<8x16xf32>
// CHECK: arith.mulf {{.*}} fastmath<contract> : vector<8x1x16xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [384, 100] [1, 1] : tensor<384x112xf32> to tensor<384x100xf32>
// CHECK-LABEL: func.func @odd_columns_few_rows
// CHECK-NOT: tensor.pad
// CHECK-NOT: vector.transfer_read
func.func @odd_columns(%a: tensor<384x384xf32>, %b: tensor<384x100xf32>, %c: tensor<384x100xf32>) -> tensor<384x100xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<384x384xf32>, tensor<384x100xf32>) outs(%c : tensor<384x100xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<384x100xf32>
  return %r : tensor<384x100xf32>
}
func.func @odd_columns_few_rows(%a: tensor<24x384xf32>, %b: tensor<384x100xf32>, %c: tensor<24x100xf32>) -> tensor<24x100xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<24x384xf32>, tensor<384x100xf32>) outs(%c : tensor<24x100xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<24x100xf32>
  return %r : tensor<24x100xf32>
}

// -----

#A = affine_map<(d0, d1, d2) -> (d0, d1)>
#B = affine_map<(d0, d1, d2) -> (d1, d2)>
#C = affine_map<(d0, d1, d2) -> (d0, d2)>

// B's rows are 4 KiB long (1024 floats): every row's column strip would
// fall into the same L1 sets, so B gets 32 more zero columns: copied when
// the model runs from 256 rows, padded at compile time when constant.
// CHECK-LABEL: func.func @aliasing_rows
// CHECK: tensor.pad %{{.*}} low[0, 0] high[0, 32]
// CHECK: tensor<64x1024xf32> to tensor<64x1056xf32>
// CHECK: scf.forall
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [256, 1024] [1, 1] : tensor<256x1056xf32> to tensor<256x1024xf32>
// CHECK-LABEL: func.func @aliasing_rows_few
// CHECK-NOT: tensor.pad
// CHECK-LABEL: func.func @aliasing_constant
// CHECK: arith.constant dense_resource<lbc_padded_columns> : tensor<2x1056xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [32, 1024] [1, 1] : tensor<32x1056xf32> to tensor<32x1024xf32>
func.func @aliasing_rows(%a: tensor<256x64xf32>, %b: tensor<64x1024xf32>, %c: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<256x64xf32>, tensor<64x1024xf32>) outs(%c : tensor<256x1024xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<256x1024xf32>
  return %r : tensor<256x1024xf32>
}
func.func @aliasing_rows_few(%a: tensor<128x64xf32>, %b: tensor<64x1024xf32>, %c: tensor<128x1024xf32>) -> tensor<128x1024xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<128x64xf32>, tensor<64x1024xf32>) outs(%c : tensor<128x1024xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<128x1024xf32>
  return %r : tensor<128x1024xf32>
}
func.func @aliasing_constant(%a: tensor<32x2xf32>, %c: tensor<32x1024xf32>) -> tensor<32x1024xf32> {
  %b = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0]]> : tensor<2x1024xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %b : tensor<32x2xf32>, tensor<2x1024xf32>) outs(%c : tensor<32x1024xf32>) attrs = {lbc.contraction} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y fastmath<contract> : f32
    %s = arith.addf %acc, %m fastmath<contract> : f32
    linalg.yield %s : f32
  } -> tensor<32x1024xf32>
  return %r : tensor<32x1024xf32>
}
