// RUN: lbc-opt --help | FileCheck %s --check-prefix=HELP
// RUN: not lbc-opt %s 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not lbc-opt %S/does-not-exist.onnx -o %t.so 2>&1 | FileCheck %s --check-prefix=ONNX
// RUN: not test -e %t.so
// RUN: not lbc-opt %s --lbc-no-such-pass 2>&1 | FileCheck %s --check-prefix=NOPASS

// --help lists every lbc pass and pipeline with its one-line description.
// HELP-DAG: --lbc-quantize-weights {{.*}}Pack constant linear weights into a group-wise integer encoding
// HELP-DAG: --lbc-dequantize-weights {{.*}}Expand packed weight constants back to dense f32 constants
// HELP-DAG: --lbc-pipeline {{.*}}Run the lbc pipeline for a recipe

// A malformed file gets a located diagnostic and a non-zero exit.
// MALFORMED: lbc-opt.mlir:[[@LINE+2]]:{{[0-9]+}}: error:
func.func @broken(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = lowbit.linear %x, : tensor<4xf32>
  return %y : tensor<4xf32>
}

// ONNX: error: cannot read '{{.*}}does-not-exist.onnx': No such file or directory
// NOPASS: Unknown command line argument '--lbc-no-such-pass'
