// RUN: lbc-opt %s --lbc-quantize-weights="bits=4 keep=*lm_head*,typo*" 2>&1 | FileCheck %s
// RUN: not lbc-opt %s --lbc-quantize-weights="bits=4 keep=[z-a]" 2>&1 | FileCheck %s --check-prefix=BAD

// Linears named by a keep pattern (through the node's location or the
// weight initializer's) stay f32; the others are packed. A pattern that
// names nothing is reported.
// CHECK: warning: keep pattern 'typo*' names no linear layer
// CHECK-LABEL: func.func @body_and_head
// CHECK: lowbit.linear %arg0, %{{.*}} : tensor<4x64xf32>, !lowbit.packed<tensor<16x64xf32>
// CHECK: lowbit.linear %arg0, %{{.*}} : tensor<4x64xf32>, tensor<16x64xf32>
// CHECK: lowbit.linear %arg0, %{{.*}} : tensor<4x64xf32>, tensor<16x64xf32>
// BAD: keep pattern '[z-a]': invalid glob pattern
func.func @body_and_head(%x: tensor<4x64xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = arith.constant dense<0.25> : tensor<16x64xf32> loc("model.layers.0.mlp.weight")
  %h = arith.constant dense<0.5> : tensor<16x64xf32> loc("onnx::MatMul_17")
  %e = arith.constant dense<0.75> : tensor<16x64xf32> loc("model.lm_head.weight")
  %y = lowbit.linear %x, %w : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32> loc("/model/layers.0/mlp/MatMul")
  %z = lowbit.linear %x, %h : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32> loc("/lm_head/MatMul")
  %t = lowbit.linear %x, %e : tensor<4x64xf32>, tensor<16x64xf32> -> tensor<4x16xf32> loc("/tied/MatMul")
  return %y, %z, %t : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}
