// RUN: lbc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lbc-approximate-math))" | FileCheck %s
// RUN: lbc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lbc-approximate-math{ops=exp}))" | FileCheck %s --check-prefix=ONLY-EXP
// RUN: not lbc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lbc-approximate-math{ops=cos}))" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// exp, log, tanh and erf on f32 become arithmetic (exp: 2^n by exponent bits
// times a polynomial of the reduced argument); sin has no approximation here
// and stays a libm call, and f64 keeps its libm call (the approximations are
// f32 only).
// CHECK-LABEL: func.func @scalar
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.floor
// CHECK: math.fma
// CHECK: arith.shli
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: math.sin %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f64
// ONLY-EXP-LABEL: func.func @scalar
// ONLY-EXP-NOT: math.exp %{{.*}} : f32
// ONLY-EXP: math.log %{{.*}} : f32
// ONLY-EXP: math.tanh %{{.*}} : f32
// ONLY-EXP: math.erf %{{.*}} : f32
// UNKNOWN: lbc-approximate-math: no approximation for math.cos
func.func @scalar(%x: f32, %d: f64) -> (f32, f32, f32, f32, f32, f64) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  %s = math.sin %x : f32
  %ed = math.exp %d : f64
  return %e, %l, %t, %r, %s, %ed : f32, f32, f32, f32, f32, f64
}

// -----

// Vectors are approximated lane-wise with the same arithmetic.
// CHECK-LABEL: func.func @vector
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<8xf32>
func.func @vector(%x: vector<8xf32>) -> vector<8xf32> {
  %e = math.exp %x : vector<8xf32>
  return %e : vector<8xf32>
}
