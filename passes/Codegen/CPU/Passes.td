//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes of the CPU code generation stage.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_CODEGEN_CPU_PASSES_TD
#define LBC_PASSES_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExpandStridedCopiesPass
    : Pass<"lbc-expand-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy of strided or dynamic buffers into linalg.copy";
  let description = [{
    The LLVM lowering of `memref.copy` calls `memrefCopy` from MLIR's C
    runner library whenever a side is not contiguous (e.g. the slices that
    Concat and Slice bufferize to) or has a dynamic shape. Artifacts must be
    self-contained, so such copies become `linalg.copy`, which lowers to
    plain loops. Static contiguous copies are left for the memcpy lowering.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TileAndVectorizeContractionsPass
    : Pass<"lbc-tile-and-vectorize-contractions", "::mlir::ModuleOp"> {
  let summary = "Register-tile and vectorize 2-D contractions (matmul, GEMV)";
  let description = [{
    For every `linalg.generic` marked `lbc.contraction` (loops m, k, n; see
    the ONNX importer) with static k and n. More than 8 rows: n and m tiled
    by 32 x 8 (smaller where those do not divide) around an innermost k
    loop, each tile vectorized into a contraction lowered to outer products
    (FMAs) with the accumulator tile kept in registers across k; 256 x 256
    blocks of B first; the parallel blocks (an scf.forall) are column
    blocks of up to 256 columns, with the rows cut too where those give
    fewer than 8 blocks or an odd count (small CNNs' 1x1 convolutions), from
    2^18 multiply-adds. Up to 8 rows (GEMV): B is read row by row in steps
    of 8 rows, updating the accumulator rows in L1 with vector FMAs; for 1-2
    rows a long k range is split into 8 slices run in parallel into partial
    rows summed afterwards, for 3-8 rows column blocks run in parallel.
    Matrices of at least 32 rows whose columns 8 does not divide (1x1
    convolutions on a 10 x 10 map) are computed on operands padded with zero
    columns to a multiple of 16 and sliced back, and a B whose rows are a
    multiple of 4 KiB long (whose column strips would all map to the same L1
    sets) gets 32 more columns (a constant at compile time, another copied
    from 256 rows); other shapes whose columns 8 does not divide keep their
    loops. A dynamic row
    count (a named dim such as the sequence) becomes a loop over static
    blocks of 8 rows, each tiled as above, over operands padded with zero
    rows to whole blocks. Runs at tensor level, before bufferization,
    through the transform dialect.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::transform::TransformDialect"
  ];
}

def PlanWorkspacePass : Pass<"lbc-plan-workspace", "::mlir::ModuleOp"> {
  let summary = "Place static intermediate buffers in one reused workspace";
  let description = [{
    Runs after bufferization, before deallocation. In every public function,
    each `memref.alloc` of static shape at the top level of the body becomes
    a `memref.view` into a new trailing `memref<?xi8>` argument (the
    workspace) at an offset chosen so that buffers whose live ranges overlap
    never share bytes (greedy placement, largest first, 64-byte aligned).
    The function gets `lbc.workspace_size` (bytes). The runtime keeps
    workspaces between runs, so a run neither allocates nor page-faults for
    its intermediates. Buffers of dynamic size, inside loops or branches, or
    that escape (returned) keep their own allocation.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def DistributeParallelLoopsPass
    : Pass<"lbc-distribute-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Run the outer parallel loop of large generics on threads";
  let description = [{
    Every `linalg.generic` on static tensors that is not a marked contraction
    (those are tiled by lbc-tile-and-vectorize-contractions) and whose
    iteration space has at least `min-iterations` points is tiled along its
    outermost parallel dimension of size > 1 into `chunks` pieces as an
    `scf.forall`, which code generation runs on the artifact's thread pool
    (through the OpenMP entry points it implements).
    Elementwise chains, depthwise convolutions, im2col copies, pooling and
    reductions over inner dims thus use every thread. Small ops stay
    sequential: a parallel region costs ~1.2 us of fork and join (measured
    with libomp, which the artifact's own pool replaced) plus moving its
    operands between cores.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"16384",
           "Smallest iteration space worth distributing">,
    Option<"chunks", "chunks", "int64_t", /*default=*/"8",
           "Pieces the distributed dimension is cut into">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect"];
}

def ApproximateMathPass
    : Pass<"lbc-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replace f32 exp/log/tanh/erf by inline polynomial approximations";
  let description = [{
    Left to the LLVM lowering, `math.exp` and friends become calls to libm's
    scalar `expf`, `logf`, ...: an opaque call in every iteration keeps LLVM
    from vectorizing the loop around it (softmax, SiLU, sigmoid gates), and
    libm's slow paths for underflow (exp of a masked attention score) cost
    as much again. This pass rewrites them into MLIR's polynomial
    approximations (Cephes / Eigen: exp within 2^-22.5 relative on the
    reduced range, log ~1 ulp, tanh a clamped rational, erf within 2.5e-7
    absolute), which are plain arithmetic on the op's own type, so the loop
    vectorizes. Results that would be subnormal are flushed to zero. The
    approximations of the ops named in `ops` (comma-separated mnemonics)
    are used; other math ops keep their libm calls.
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Math ops to approximate (default: exp, log, tanh, erf)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def DistinctResultsPass
    : Pass<"lbc-distinct-results", "::mlir::func::FuncOp"> {
  let summary = "Give every returned tensor its own buffer";
  let description = [{
    Runs just before bufferization. Outputs become caller-provided buffers
    (buffer-results-to-out-params), one per result, so a value returned
    twice (duplicate ONNX outputs, or statistics that CSE merged) is copied
    for its second and later uses: `bufferization.alloc_tensor() copy(%v)`,
    which CSE leaves alone.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def InlineAllocaScopesPass
    : Pass<"lbc-inline-alloca-scopes", "::mlir::ModuleOp"> {
  let summary = "Inline memref.alloca_scope regions that allocate nothing";
  let description = [{
    convert-scf-to-openmp wraps every parallel loop body in a
    `memref.alloca_scope`, whose region must stay a single block, so the
    loops inside could not be lowered to control flow. A scope whose body
    has no `memref.alloca` frees nothing and is inlined; scopes that do
    allocate are kept.
  }];
}

#endif // LBC_PASSES_CODEGEN_CPU_PASSES_TD
