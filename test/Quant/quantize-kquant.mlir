// RUN: lbc-opt %s --lbc-quantize-weights="format=kquant bits=4" | FileCheck %s
// RUN: not lbc-opt %s --lbc-quantize-weights="format=kquant bits=3" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not lbc-opt %s --lbc-quantize-weights="format=nf5" 2>&1 | FileCheck %s --check-prefix=FORMAT

// K-quant packing: 16 rows of one super-block are 16 x 128 code bytes and
// 16 x 16 header bytes. A layer whose in-features are not a multiple of 256
// gets Q4_0's arithmetic instead (4-bit split halves, groups of 32, f16
// scales: the same 4.5 bits/weight, no padding).
// CHECK-LABEL: func.func @kquant_and_fallback
// CHECK-DAG: lowbit.constant {{.*}} : tensor<2304xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.kquant<bits = 4>>
// CHECK-DAG: lowbit.constant {{.*}} : tensor<576xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
// BITS: K-quant super-blocks are implemented for 4-bit codes (q4k), got 3 bits
// FORMAT: unknown format 'nf5'; expected groupwise or kquant
func.func @kquant_and_fallback(%x: tensor<4x256xf32>, %h: tensor<4x64xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = arith.constant dense<0.25> : tensor<16x256xf32>
  %v = arith.constant dense<0.5> : tensor<16x64xf32>
  %y = lowbit.linear %x, %w : tensor<4x256xf32>, tensor<16x256xf32> -> tensor<4x16xf32>
  %z = lowbit.linear %h, %v : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32>
  return %y, %z : tensor<4x16xf32>, tensor<4x16xf32>
}
