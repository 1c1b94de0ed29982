//===- Passes.td - weight quantization passes --------------*- tablegen -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Passes of the Quant stage: fitting and packing weights.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_PASSES_QUANT_PASSES_TD
#define LBC_PASSES_QUANT_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizeWeightsPass : Pass<"lbc-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Pack constant linear weights into a group-wise integer "
                "encoding (round-to-nearest) or a K-quant one (weighted "
                "least squares)";
  let description = [{
    Rewrites every `lowbit.linear` whose weight is a dense f32 constant
    (`arith.constant` with a dense or dense_resource value) so that its weight
    is a `lowbit.constant` packed in the group-wise encoding given by the
    options, fitted by round-to-nearest. Also folds `lowbit.quantize` of a
    constant into a packed constant with the encoding of its result type.
    A constant shared by several linears is packed once. Linears that a
    `keep` pattern names stay in f32; a pattern that names no linear gets a
    warning (a typo would otherwise silently quantize everything).
  }];
  let dependentDialects = ["::mlir::lbc::lowbit::LowBitDialect"];
  let options = [
    Option<"format", "format", "std::string", "\"groupwise\"",
           "groupwise (the other options apply) or kquant (super-blocks of "
           "256 with 6-bit sub-block scales and mins; bits = 4; weights "
           "whose in-features are not a multiple of 256 get 4-bit groups "
           "of 32, the same 4.5 bits/weight) or nf4 (NormalFloat codebook, "
           "absmax blocks of group-size)">,
    Option<"bits", "bits", "unsigned", "4", "Bits per code, 2 to 8">,
    Option<"fit", "fit", "std::string", "\"rtn\"",
           "How group-wise scales and zero points are fitted: rtn "
           "(round-to-nearest), hqq (half-quadratic, data-free) or gptq "
           "(GPTQ with the lbc.input_gram statistics the driver attaches)">,
    Option<"actOrder", "act-order", "bool", "false",
           "fit=gptq: quantize columns in decreasing calibration energy "
           "(diag X^T X) instead of input order (GPTQ's act-order); groups "
           "keep their stored layout">,
    Option<"importance", "importance", "bool", "false",
           "K-quants: weigh the fit by each input channel's mean squared "
           "calibration input (lbc.input_mean_square; llama.cpp's imatrix)">,
    Option<"groupSize", "group-size", "unsigned", "32",
           "Weights per group, a multiple of 8">,
    Option<"scheme", "scheme", "std::string", "\"symmetric\"",
           "symmetric or asymmetric">,
    Option<"scaleType", "scale-type", "std::string", "\"f16\"",
           "Storage type of the scales: f16, bf16 or f32">,
    Option<"zeroPointType", "zero-point-type", "std::string", "\"ui8\"",
           "Storage type of asymmetric zero points: ui8, f16, bf16 or f32">,
    Option<"order", "order", "std::string", "\"lsb_first\"",
           "Order of the codes in a group: lsb_first or split_halves">,
    Option<"stats", "stats", "bool", "false",
           "Record on each packed linear its relative weight error "
           "(lbc.weight_error) and output error for seeded standard-normal "
           "inputs (lbc.output_error), for --report">,
    ListOption<"keep", "keep", "std::string",
               "Glob patterns of linears to keep in f32, matched against the "
               "names in the linear's location (the ONNX node) and its "
               "weight's (the initializer)">,
  ];
}

def DequantizeWeightsPass : Pass<"lbc-dequantize-weights", "::mlir::ModuleOp"> {
  let summary = "Expand packed weight constants back to dense f32 constants";
  let description = [{
    The inverse of `lbc-quantize-weights`, used by tests and for measuring
    quantization error: every `lowbit.constant` is decoded to an
    `arith.constant` dense_resource of its logical type; `lowbit.linear` uses
    take the dense weight and `lowbit.dequantize` uses are replaced by it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def RotateResidualPass : Pass<"lbc-rotate-residual", "::mlir::func::FuncOp"> {
  let summary = "Rotate the residual stream of a transformer by a seeded "
                "random Hadamard matrix (QuaRot's R1), function-preserving";
  let description = [{
    Finds the residual stream: from the token embedding (a gather from a
    constant table), through residual adds and reshapes, to every RMSNorm
    that reads it. Each RMSNorm's weight g is folded into the linears that
    read the norm (W diag(g)) and dropped, since RMSNorm(x R) = RMSNorm(x) R
    only without it. Then, with R = diag(d) M_n (M_n the Hadamard matrix of
    lib/Support/Hadamard.h, d seeded random signs), the embedding table's
    rows become E R, the linears writing into the stream (attention output
    and MLP down projections) W' = R^T W, and the linears reading a norm
    W' = W R: outliers of single residual channels spread over all of them,
    which is what 4-bit activations (`a4t`) of q/k/v/gate/up/lm_head need.
    The stream may only be used by residual adds, RMSNorms (sum of squares
    over the channels times a per-row scale) and channel-preserving
    reshapes; any other use, a model output on the stream, or a hidden size
    without a Hadamard matrix leaves the function unchanged with a remark.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", "0", "Seeds the random signs d">,
  ];
  let dependentDialects = ["::mlir::lbc::lowbit::LowBitDialect",
                           "::mlir::arith::ArithDialect"];
}

def RecognizeTransformerPass
    : Pass<"lbc-recognize-transformer", "::mlir::func::FuncOp"> {
  let summary = "Name the role of each lowbit.linear in a transformer "
                "(lowbit.role, lowbit.block) from the dataflow";
  let description = [{
    Recognises a decoder's linears without trusting ONNX names: MLP down and
    up projections by the SwiGLU product (`down(act(gate(x)) * up(x))`), the
    gate as the one linear behind the other factor; attention projections
    by following the heads their output is split into ([.., C] -> [.., H,
    hd]) through transposes, reshapes, slices, concatenations (a KV cache)
    and generics: a value projection's heads reach an output projection
    merged back with the head dimension intact, a query's or key's are
    contracted over it in the scores, on the side of the result's rows
    (query) or columns (key); a slice of the head dimension or a product
    with a table varying along it on the way is a rotary embedding. The last
    linear, when it writes a model output, is the output head. Sets
    `lowbit.role` (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,
    down_proj, lm_head) and `lowbit.block` (blocks end at their down
    projection) and notes one line per block in the function's
    `lbc.transforms` (shown by --report). Changes no computation; a linear
    it cannot place gets no role.
  }];
}

def RotateHeadsPass : Pass<"lbc-rotate-heads", "::mlir::func::FuncOp"> {
  let summary = "Rotate each attention head of the value and output "
                "projections by a seeded random Hadamard matrix (QuaRot's "
                "R2), function-preserving";
  let description = [{
    For a value projection v whose output is split into heads of hd
    channels ([.., C] -> [.., H, hd]) and merged back ([.., H, hd] -> H * hd)
    into the input of an output projection o, the pass checks that every
    op in between keeps the head dimension innermost and untouched:
    transposes that leave it last, reshapes of the other dimensions,
    broadcasts (grouped-query attention's repeated heads), and generics in
    which it is a parallel index that no other operand reads, with a body
    linear in the values (a copy, a product, or a product summed into a
    zero-filled result: probabilities times values). Attention then never
    mixes the channels of a head, so with R = diag(d) M_hd (d seeded random
    signs) W_v' = blockdiag(R)^T W_v (and v's bias b R) and
    W_o' = W_o blockdiag(R) compute the same function while o's input
    outliers spread over their heads, which its 4-bit activations need.
    Values that are a model output (a KV cache) or are concatenated with
    other values are left alone with a remark, as is anything else the
    checks do not prove; queries and keys (sliced or contracted over the
    head dimension) are not value projections and are skipped silently.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", "1", "Seeds the random signs d">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def SmoothRotPass : Pass<"lbc-smoothrot", "::mlir::func::FuncOp"> {
  let summary = "Smooth and rotate the inputs of MLP down projections "
                "(SmoothRot), function-preserving";
  let description = [{
    Finds MLP down projections: a `lowbit.linear` (down) whose input is the
    elementwise product of another linear's output (up) with a value that
    does not depend on it (silu(gate) in SwiGLU), each used once. With the
    calibration statistics the driver attached to down
    (`lbc.input_absmax`, m_j per input channel), SmoothRot's scales
      s_j = max(m_j, 1e-5)^alpha / max(w_j, 1e-5)^(1 - alpha),
      w_j = max_i |W_down[i, j]|,
    move the activation outliers into the weights exactly: row j of W_up is
    divided by s_j, column j of W_down multiplied by it. Then (`hadamard`)
    the input of down is rotated online by `lowbit.hadamard` (M_n, QuaRot's
    R4) and W_down's rows by the same M_n at compile time, spreading what
    remains of the outliers over all channels: x' = (x / s) M,
    W' = W diag(s) M. Without quantization the model computes the same
    function (up to rounding); quantized weights and activations
    (`w4,a4t`) lose less. A down projection whose size has no Hadamard
    matrix is smoothed only, with a remark; linears that do not match are
    left alone. A matched down projection without statistics is an error.
    With `alpha-search`, alpha is chosen per down projection among 0, 0.05,
    ..., 1: the one whose transformed layer, with its weight rounded to
    nearest in a group-wise format (`search-weight-bits`,
    `search-group-size`) and its inputs quantized as the recipe will
    (`search-activation-*`), reproduces the original outputs on the
    calibration rows (`lbc.input_rows`, up to 128 evenly spaced output
    channels scored) with the least squared error.
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5",
           "Migration strength in [0, 1]: 0 leaves activations as they are">,
    Option<"alphaSearch", "alpha-search", "bool", "false",
           "Choose alpha per down projection by the quantized output error "
           "on calibration rows (lbc.input_rows) instead of `alpha`">,
    Option<"searchWeightBits", "search-weight-bits", "unsigned", "4",
           "Bits of the group-wise weight format the search rounds to (0: "
           "weights stay f32)">,
    Option<"searchGroupSize", "search-group-size", "unsigned", "32",
           "Group size of that format">,
    Option<"searchActivationBits", "search-activation-bits", "unsigned", "0",
           "Bits of the inputs' dynamic quantization (0: f32 inputs)">,
    Option<"searchPerToken", "search-per-token", "bool", "false",
           "One input scale per row instead of per block of 32">,
    Option<"searchClip", "search-clip", "double", "1.0",
           "Clipping ratio of the inputs' quantization">,
    Option<"hadamard", "hadamard", "bool", "true",
           "Rotate the down projections' inputs online (R4)">,
    Option<"smooth", "smooth", "bool", "true",
           "Apply the smoothing scales (false: rotation only, the `rotate` "
           "recipe step, which needs no statistics)">,
  ];
  let dependentDialects = ["::mlir::lbc::lowbit::LowBitDialect",
                           "::mlir::arith::ArithDialect"];
}

def AwqPass : Pass<"lbc-awq", "::mlir::func::FuncOp"> {
  let summary = "Activation-aware weight scaling (AWQ) before round-to-"
                "nearest, with the scales absorbed exactly";
  let description = [{
    AWQ (arXiv 2306.00978) for group-wise weights: input channels that carry
    large activations are scaled up in the weight (W diag(s)) so that
    rounding hurts them less, and down in what produces them. lbc applies
    it where the inverse scale folds exactly: the linears reading an
    RMSNorm's weighted output (the norm weight g becomes g / s) and MLP down
    projections (up's output rows divided by s). Per group of linears that
    read one value, s = rms(x)^alpha (normalized to geometric mean 1), with
    alpha in {0, 0.05, ..., 0.95} chosen to minimize the calibration output
    error sum_r e_r (X^T X) e_r^T, e = Q(W diag s) diag(s)^-1 - W, Q the
    round-to-nearest fit of the given group-wise format, over up to 64
    rows of each weight (`lbc.input_gram`, `lbc.input_mean_square` from
    calibration). alpha = 0 is plain round-to-nearest, so the objective
    never gets worse. Linears whose input has no such producer are left
    alone.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "4", "Bits of the group-wise format">,
    Option<"groupSize", "group-size", "unsigned", "32",
           "Group size of the group-wise format">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QuantizeActivationsPass
    : Pass<"lbc-quantize-activations", "::mlir::func::FuncOp"> {
  let summary = "Quantize the inputs of low-bit linears dynamically to "
                "integers (the a8 / a4 / a8t / a4t recipe steps)";
  let description = [{
    Sets `activation_bits` (and `activation_per_token`, `activation_clip`) on
    every `lowbit.linear` whose weight is packed: at run time each row of its
    input is quantized per block of 32 input channels, or per row with
    `per-token`, to signed `bits`-bit integers with an f32 scale
    (clip * max|x| / (2^(bits-1) - 1)), and the kernels multiply integer
    codes (AVX-512 VNNI `vpdpbusd` where the CPU has it). This changes
    results (8 bits per block: about the error of an 8-bit weight), and is
    therefore a recipe step of its own. Linears with dense weights keep float
    inputs.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "8", "Bits per activation code">,
    Option<"perToken", "per-token", "bool", "false",
           "One scale per row instead of per block of 32 channels">,
    Option<"clip", "clip", "double", "1.0",
           "Clipping ratio in (0, 1]: the scale covers clip * max|x|">,
  ];
}

#endif // LBC_PASSES_QUANT_PASSES_TD
