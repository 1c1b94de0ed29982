// RUN: lbc-opt %s --lbc-pipeline="recipe=w4" | FileCheck %s --check-prefix=W4
// RUN: lbc-opt %s --lbc-pipeline="recipe=w8g64" | FileCheck %s --check-prefix=W8
// RUN: lbc-opt %s --lbc-pipeline="recipe=fp32" | FileCheck %s --check-prefix=FP32
// RUN: lbc-opt %s --lbc-pipeline="recipe=w4,a8" | FileCheck %s --check-prefix=A8
// RUN: not lbc-opt %s --lbc-pipeline="recipe=a8" 2>&1 | FileCheck %s --check-prefix=A8-ALONE
// RUN: lbc-opt %s --lbc-pipeline | FileCheck %s --check-prefix=FP32
// RUN: not lbc-opt %s --lbc-pipeline="recipe=w4,smoothy" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not lbc-opt %s --lbc-pipeline="recipe=w4,w8" 2>&1 | FileCheck %s --check-prefix=CONTRADICT
// RUN: not lbc-opt %s --pass-pipeline="builtin.module(lbc-pipeline{recipe=w1})" 2>&1 | FileCheck %s --check-prefix=BITS

// The recipe picks the weight format (4-bit codes in llama.cpp's Q4_0 nibble
// order, which the microkernel decodes without shuffles); the pipeline packs
// and cleans up.
// W4: lowbit.constant {{.*}} : tensor<{{[0-9]+}}xi8> -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 4, group_size = 32, scale = f16, order = split_halves>>
// W4-NOT: arith.constant
// W8: lowbit.constant {{.*}} -> !lowbit.packed<tensor<16x64xf32>, #lowbit.groupwise<bits = 8, group_size = 64, scale = f16>>
// A8: lowbit.linear {{.*}} {activation_bits = 8 : i64} : tensor<4x64xf32>, !lowbit.packed
// A8-ALONE: recipe step 'a8' quantizes the inputs of low-bit linears: add a weight step
// FP32: arith.constant dense<{{.*}}> : tensor<16x64xf32>
// FP32-NOT: lowbit.constant
// UNKNOWN: unknown recipe step 'smoothy'; valid steps: fp32, w8, w5, w4, w3, w2
// CONTRADICT: recipe steps 'w4' and 'w8' contradict: both choose the weight format
// BITS: recipe step 'w1': bits must be 2..8
func.func @mlp(%x: tensor<4x64xf32>) -> tensor<4x16xf32> {
  %w = arith.constant dense<0.25> : tensor<16x64xf32>
  %y = lowbit.linear %x, %w : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
