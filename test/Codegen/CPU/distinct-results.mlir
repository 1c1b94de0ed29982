// RUN: lbc-opt %s --lbc-distinct-results | FileCheck %s

// A value returned twice gets a copy for its second use, so each result
// bufferizes to its own out-parameter; a value returned once is left alone.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[Y:.*]]: tensor<3xf32>)
// CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%[[X]]) : tensor<?x4xf32>
// CHECK: return %[[X]], %[[Y]], %[[COPY]]
func.func @twice(%x: tensor<?x4xf32>, %y: tensor<3xf32>) -> (tensor<?x4xf32>, tensor<3xf32>, tensor<?x4xf32>) {
  return %x, %y, %x : tensor<?x4xf32>, tensor<3xf32>, tensor<?x4xf32>
}
