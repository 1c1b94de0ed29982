// RUN: lbc-opt %s --lbc-quantize-weights="format=kquant bits=4" | FileCheck %s
// RUN: not lbc-opt %s --lbc-quantize-weights="format=kquant bits=2" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: lbc-opt %s --lbc-quantize-weights="format=kquant bits=3" | FileCheck %s --check-prefix=Q3K
// RUN: lbc-opt %s --lbc-quantize-weights="format=kquant bits=6" | FileCheck %s --check-prefix=Q6K
// RUN: lbc-opt %s --lbc-quantize-weights="format=kquant bits=5" | FileCheck %s --check-prefix=Q5K
// RUN: not lbc-opt %s --lbc-quantize-weights="format=nf5" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: lbc-opt %s --lbc-quantize-weights="format=nf4 group-size=64" | FileCheck %s --check-prefix=NF4

// K-quant packing: 16 rows of one super-block are 16 x 128 code bytes and
// 16 x 16 header bytes. A layer whose in-features are not a multiple of 256
// gets Q4_0's arithmetic instead (4-bit split halves, groups of 32, f16
// scales: the same 4.5 bits/weight, no padding).
// CHECK-LABEL: func.func @kquant_and_fallback
// CHECK-DAG: lowbit.constant {{.*}} : tensor<2304xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.kquant<bits = 4>>
// CHECK-DAG: lowbit.constant {{.*}} : tensor<576xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
// BITS: K-quant super-blocks are implemented for 3- to 6-bit codes (q3k, q4k, q5k, q6k), got 2 bits
// The symmetric K-quants: 16 x 96 code bytes + 16 x 14 header bytes (q3k,
// 3.4375 bits/weight) and 16 x 192 + 16 x 18 (q6k, 6.5625); narrow layers
// get w3 / w6.
// Q3K-DAG: lowbit.constant {{.*}} : tensor<1760xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.kquant<bits = 3>>
// Q3K-DAG: lowbit.constant {{.*}} : tensor<448xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 3, group_size = 32, scale = f16>>
// Q6K-DAG: lowbit.constant {{.*}} : tensor<3360xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.kquant<bits = 6>>
// Q6K-DAG: lowbit.constant {{.*}} : tensor<832xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 6, group_size = 32, scale = f16>>
// 5-bit K-quants add a 32-byte plane of fifth bits per super-block (16 x
// 160 code bytes + 16 x 16 header bytes); the narrow layer gets w5.
// Q5K-DAG: lowbit.constant {{.*}} : tensor<2816xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.kquant<bits = 5>>
// Q5K-DAG: lowbit.constant {{.*}} : tensor<704xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 5, group_size = 32, scale = f16>>
// FORMAT: unknown format 'nf5'; expected groupwise, kquant or nf4
// NF4 packing: blocks of 64 are 32 code bytes and a 2-byte absmax each.
// NF4-DAG: lowbit.constant {{.*}} : tensor<2176xi8> -> !lowbit.packed<tensor<16x256xf32>, #lowbit.nf4<block_size = 64>>
// NF4-DAG: lowbit.constant {{.*}} : tensor<544xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.nf4<block_size = 64>>
func.func @kquant_and_fallback(%x: tensor<4x256xf32>, %h: tensor<4x64xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = arith.constant dense<0.25> : tensor<16x256xf32>
  %v = arith.constant dense<0.5> : tensor<16x64xf32>
  %y = lowbit.linear %x, %w : tensor<4x256xf32>, tensor<16x256xf32> -> tensor<4x16xf32>
  %z = lowbit.linear %h, %v : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32>
  return %y, %z : tensor<4x16xf32>, tensor<4x16xf32>
}
