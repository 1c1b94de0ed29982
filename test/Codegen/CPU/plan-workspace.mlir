// RUN: lbc-opt %s --split-input-file --lbc-plan-workspace | FileCheck %s

// Largest first: %b (80 floats = 320 B), alive throughout, opens slot 0;
// %a (256 B) overlaps it in time and opens slot 1; %c is allocated after
// %a's last use, so it shares slot 1. Each slot is a trailing argument (the
// artifact passes disjoint ranges of one workspace) and the function records
// the slots' (offset, size) pairs and the total.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: (%[[IN:.*]]: memref<64xf32>, %[[OUT:.*]]: memref<64xf32>, %[[S0:.*]]: memref<?xi8> {lbc.workspace_slot = 0 : i64}, %[[S1:.*]]: memref<?xi8> {lbc.workspace_slot = 1 : i64})
// CHECK-SAME: attributes {lbc.workspace_size = 576 : i64, lbc.workspace_slots = array<i64: 0, 320, 320, 256>}
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = memref.view %[[S1]][%{{.*}}][] : memref<?xi8> to memref<64xf32>
// CHECK: %[[B:.*]] = memref.view %[[S0]][%{{.*}}][] : memref<?xi8> to memref<80xf32>
// CHECK: memref.copy %[[IN]], %[[A]]
// CHECK: memref.view %[[S1]][%{{.*}}][] : memref<?xi8> to memref<16xf32>
func.func @reuse(%in: memref<64xf32>, %out: memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<80xf32>
  memref.copy %in, %a : memref<64xf32> to memref<64xf32>
  %bv = memref.subview %b[0] [64] [1] : memref<80xf32> to memref<64xf32, strided<[1]>>
  memref.copy %a, %bv : memref<64xf32> to memref<64xf32, strided<[1]>>
  %c = memref.alloc() : memref<16xf32>
  %cv = memref.subview %bv[0] [16] [1] : memref<64xf32, strided<[1]>> to memref<16xf32, strided<[1]>>
  memref.copy %cv, %c : memref<16xf32, strided<[1]>> to memref<16xf32>
  %ov = memref.subview %out[0] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1]>>
  memref.copy %c, %ov : memref<16xf32> to memref<16xf32, strided<[1]>>
  memref.copy %bv, %out : memref<64xf32, strided<[1]>> to memref<64xf32>
  return
}

// -----

// A buffer used inside a loop lives until the loop ends: %t (used in the
// loop) and %u (allocated before it) overlap in time and get separate slots.
// Dynamic and returned buffers keep their allocations.
// CHECK-LABEL: func.func @keep
// CHECK-SAME: lbc.workspace_slots = array<i64: 0, 64, 64, 64>
// CHECK-DAG: memref.view %arg2[%{{.*}}][] : memref<?xi8> to memref<4xf32>
// CHECK-DAG: memref.view %arg3[%{{.*}}][] : memref<?xi8> to memref<4xf32>
// CHECK-DAG: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-DAG: memref.alloc() : memref<2xf32>
func.func @keep(%n: index, %in: memref<4xf32>) -> memref<2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.alloc() : memref<4xf32>
  %u = memref.alloc() : memref<4xf32>
  memref.copy %in, %u : memref<4xf32> to memref<4xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.copy %u, %t : memref<4xf32> to memref<4xf32>
  }
  %d = memref.alloc(%n) : memref<?xf32>
  %r = memref.alloc() : memref<2xf32>
  return %r : memref<2xf32>
}

// -----

// A buffer whose address is taken (how microkernel calls receive buffers)
// lives while anything computed from the address is used: %x is read by the
// call after %q is allocated, so the two get separate slots (sharing one
// would let the kernel overwrite its own input).
// CHECK-LABEL: func.func @address_taken
// CHECK-SAME: lbc.workspace_slots = array<i64: 0, 256, 256, 256>
func.func private @kernel(i64, i64) -> i64
func.func @address_taken(%in: memref<64xf32>) {
  %x = memref.alloc() : memref<64xf32>
  memref.copy %in, %x : memref<64xf32> to memref<64xf32>
  %xp = memref.extract_aligned_pointer_as_index %x : memref<64xf32> -> index
  %xa = arith.index_cast %xp : index to i64
  %q = memref.alloc() : memref<256xi8>
  %qp = memref.extract_aligned_pointer_as_index %q : memref<256xi8> -> index
  %qa = arith.index_cast %qp : index to i64
  %s = func.call @kernel(%xa, %qa) : (i64, i64) -> i64
  return
}
