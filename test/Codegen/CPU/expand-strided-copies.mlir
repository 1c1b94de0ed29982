// RUN: lbc-opt %s --pass-pipeline="builtin.module(func.func(lbc-expand-strided-copies))" | FileCheck %s

// A copy into a strided view (what Concat bufferizes to) becomes linalg.copy,
// which lowers to loops instead of a call into MLIR's runtime library; a
// contiguous copy stays a memref.copy (it lowers to memcpy).
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<2x3xf32>) outs(%{{.*}} : memref<2x3xf32, strided<[5, 1], offset: 2>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x5xf32> to memref<2x5xf32>
// CHECK-NOT: memref.copy
func.func @copies(%src: memref<2x3xf32>, %dst: memref<2x5xf32>, %other: memref<2x5xf32>) {
  %view = memref.subview %dst[0, 2] [2, 3] [1, 1] : memref<2x5xf32> to memref<2x3xf32, strided<[5, 1], offset: 2>>
  memref.copy %src, %view : memref<2x3xf32> to memref<2x3xf32, strided<[5, 1], offset: 2>>
  memref.copy %dst, %other : memref<2x5xf32> to memref<2x5xf32>
  return
}

// -----

// A copy of dynamic shape would call memrefCopy even when contiguous.
// CHECK-LABEL: func.func @dynamic_copy
// CHECK: linalg.copy
// CHECK-NOT: memref.copy
func.func @dynamic_copy(%a: memref<?x64xf32>, %b: memref<?x64xf32>) {
  memref.copy %a, %b : memref<?x64xf32> to memref<?x64xf32>
  return
}
