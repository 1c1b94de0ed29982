// RUN: lbc-opt %s -split-input-file -verify-diagnostics

// Every verifier and parser message of the lowbit dialect.

// expected-error @+1 {{bits must be in [2, 8], got 9}}
func.func private @bits_too_wide() attributes {e = #lowbit.groupwise<bits = 9, group_size = 32>}

// -----

// expected-error @+1 {{bits must be in [2, 8], got 1}}
func.func private @bits_too_narrow() attributes {e = #lowbit.groupwise<bits = 1, group_size = 32>}

// -----

// expected-error @+1 {{group size must be a positive multiple of 8, got 12}}
func.func private @group_not_multiple_of_8() attributes {e = #lowbit.groupwise<bits = 4, group_size = 12>}

// -----

// expected-error @+1 {{scale must be f16, bf16 or f32, got 'i8'}}
func.func private @integer_scale() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, scale = i8>}

// -----

// expected-error @+1 {{zero_point must be ui8, f16, bf16 or f32, got 'i4'}}
func.func private @bad_zero_point() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, scheme = asymmetric, zero_point = i4>}

// -----

// expected-error @+1 {{the symmetric scheme has no zero point}}
func.func private @symmetric_with_zero_point() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, zero_point = ui8>}

// -----

// expected-error @+1 {{the asymmetric scheme needs a zero point type}}
func.func private @asymmetric_without_zero_point() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, scheme = asymmetric>}

// -----

// expected-error @+1 {{split_halves packing is defined for 4-bit codes only, got 3 bits}}
func.func private @split_halves_needs_4_bits() attributes {e = #lowbit.groupwise<bits = 3, group_size = 32, order = split_halves>}

// -----

// expected-error @+1 {{unknown groupwise parameter 'bit'; expected bits, group_size, scheme, scale, zero_point, order}}
func.func private @unknown_parameter() attributes {e = #lowbit.groupwise<bit = 4, group_size = 32>}

// -----

// expected-error @+1 {{duplicate parameter 'bits'}}
func.func private @duplicate_parameter() attributes {e = #lowbit.groupwise<bits = 4, bits = 4, group_size = 32>}

// -----

// expected-error @+1 {{groupwise encoding needs 'bits' and 'group_size'}}
func.func private @missing_group_size() attributes {e = #lowbit.groupwise<bits = 4>}

// -----

// expected-error @+1 {{expected 'symmetric' or 'asymmetric', got 'signed'}}
func.func private @bad_scheme() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, scheme = signed>}

// -----

// expected-error @+1 {{expected 'lsb_first' or 'split_halves', got 'msb_first'}}
func.func private @bad_order() attributes {e = #lowbit.groupwise<bits = 4, group_size = 32, order = msb_first>}

// -----

// expected-error @+1 {{packed weights need a static shape, got 'tensor<?x32xf32>'}}
func.func private @dynamic_shape(!lowbit.packed<tensor<?x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>)

// -----

// expected-error @+1 {{packed weights need non-empty dimensions, got 'tensor<0x32xf32>'}}
func.func private @empty_shape(!lowbit.packed<tensor<0x32xf32>, #lowbit.groupwise<bits = 4, group_size = 32>>)

// -----

// expected-error @+1 {{packed weights dequantize to floats, got element type 'i32'}}
func.func private @integer_logical_type(!lowbit.packed<tensor<8x32xi32>, #lowbit.groupwise<bits = 4, group_size = 32>>)

// -----

// expected-error @+1 {{groupwise encoding needs a weight of rank >= 1 (its blocks run along the last dimension), got 'tensor<f32>'}}
func.func private @rank_zero(!lowbit.packed<tensor<f32>, #lowbit.groupwise<bits = 4, group_size = 32>>)

// -----

// expected-error @+1 {{expected a weight encoding attribute, got 42 : i32}}
func.func private @not_an_encoding(!lowbit.packed<tensor<8x32xf32>, 42 : i32>)

// -----

func.func @constant_not_a_resource() {
  // expected-error @+1 {{'lowbit.constant' op expects its bytes as a dense_resource blob, got dense<0> : tensor<68xi8>}}
  %0 = lowbit.constant dense<0> : tensor<68xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  return
}

// -----

func.func @constant_blob_not_bytes() {
  // expected-error @+1 {{'lowbit.constant' op expects a blob of type tensor<Nxi8>, got 'tensor<17xi32>'}}
  %0 = lowbit.constant dense_resource<blob> : tensor<17xi32> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  return
}

// -----

func.func @constant_wrong_size() {
  // expected-error @+1 {{'lowbit.constant' op blob holds 60 bytes but '!lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8, scale = f16>>' needs 68}}
  %0 = lowbit.constant dense_resource<blob> : tensor<60xi8> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<4x8xf32>, %w: tensor<2x2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op expects a weight of rank 2 ([out, in]), got 'tensor<2x2x8xf32>'}}
  %0 = lowbit.linear %x, %w : tensor<4x8xf32>, tensor<2x2x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op expects an input of rank >= 1}}
  %0 = lowbit.linear %x, %w : tensor<f32>, tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @linear_in_features(%x: tensor<4x7xf32>, %w: !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>) {
  // expected-error @+1 {{'lowbit.linear' op input's last dimension (7) does not match the weight's in-features (8)}}
  %0 = lowbit.linear %x, %w : tensor<4x7xf32>, !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<4x2xf32>
  return
}

// -----

func.func @linear_element_types(%x: tensor<4x8xf16>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op expects one element type for input, weight and result, got 'f16', 'f32' and 'f16'}}
  %0 = lowbit.linear %x, %w : tensor<4x8xf16>, tensor<2x8xf32> -> tensor<4x2xf16>
  return
}

// -----

func.func @linear_result_rank(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op expects a result of rank 2, got 'tensor<1x4x2xf32>'}}
  %0 = lowbit.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @linear_result_batch(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op result dimension 0 (5) does not match the input's (4)}}
  %0 = lowbit.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<5x2xf32>
  return
}

// -----

func.func @linear_out_features(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.linear' op result's last dimension (3) does not match the weight's out-features (2)}}
  %0 = lowbit.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'lowbit.linear' op expects a bias of shape [2], got 'tensor<3xf32>'}}
  %0 = lowbit.linear %x, %w, bias %b : tensor<4x8xf32>, tensor<2x8xf32>, tensor<3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @linear_bias_type(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{'lowbit.linear' op expects a bias of element type 'f32', got 'f16'}}
  %0 = lowbit.linear %x, %w, bias %b : tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf16> -> tensor<4x2xf32>
  return
}

// -----

func.func @quantize_type(%w: tensor<2x16xf32>) {
  // expected-error @+1 {{'lowbit.quantize' op result's logical type 'tensor<2x8xf32>' differs from the input type 'tensor<2x16xf32>'}}
  %0 = lowbit.quantize %w : tensor<2x16xf32> -> !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>
  return
}

// -----

func.func @dequantize_type(%w: !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>>) {
  // expected-error @+1 {{'lowbit.dequantize' op result type 'tensor<2x8xf16>' differs from the packed weight's logical type 'tensor<2x8xf32>'}}
  %0 = lowbit.dequantize %w : !lowbit.packed<tensor<2x8xf32>, #lowbit.groupwise<bits = 4, group_size = 8>> -> tensor<2x8xf16>
  return
}

// -----

// expected-error @+1 {{K-quant super-blocks are implemented for 3- to 6-bit codes (q3k, q4k, q5k, q6k), got 7 bits}}
func.func @kquant_bits(%w: !lowbit.packed<tensor<2x256xf32>, #lowbit.kquant<bits = 7>>) {
  return
}

// -----

func.func @kquant_blob_size() {
  // expected-error @+1 {{'lowbit.constant' op blob holds 100 bytes but '!lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>>' needs 576}}
  %p = lowbit.constant dense_resource<kq> : tensor<100xi8> -> !lowbit.packed<tensor<2x300xf32>, #lowbit.kquant<bits = 4>>
  return
}

// -----

func.func @activation_bits_range(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{attribute 'activation_bits' failed to satisfy constraint}}
  %y = lowbit.linear %x, %w {activation_bits = 9} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}

// -----

// expected-error @+1 {{NF4 block size must be a positive multiple of 32, got 48}}
func.func @nf4_block(%w: !lowbit.packed<tensor<2x96xf32>, #lowbit.nf4<block_size = 48>>) {
  return
}

// -----

func.func @hadamard_without_matrix(%x: tensor<3x90xf32>) {
  // expected-error @+1 {{'lowbit.hadamard' op has no Hadamard matrix of size 90}}
  %y = lowbit.hadamard %x : tensor<3x90xf32>
  return
}

// -----

func.func @hadamard_dynamic_size(%x: tensor<3x?xf32>) {
  // expected-error @+1 {{'lowbit.hadamard' op expects a static last dimension}}
  %y = lowbit.hadamard %x : tensor<3x?xf32>
  return
}

// -----

func.func @activation_clip_range(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{activation_clip must be in (0, 1], got 1.5}}
  %y = lowbit.linear %x, %w {activation_bits = 4, activation_clip = 1.5 : f32} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @activation_per_token_without_bits(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{activation_per_token and activation_clip need activation_bits}}
  %y = lowbit.linear %x, %w {activation_per_token} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @unknown_role(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.role' must be one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head}}
  %y = lowbit.linear %x, %w {lowbit.role = "attention"} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @negative_block(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{'lowbit.block' must be a non-negative integer}}
  %y = lowbit.linear %x, %w {lowbit.block = -1 : i64} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @role_on_another_op(%x: tensor<3x8xf32>) {
  // expected-error @+1 {{'lowbit.role' annotates lowbit.linear ops only}}
  %y = lowbit.hadamard %x {lowbit.role = "q_proj"} : tensor<3x8xf32>
  return
}

// -----

func.func @unknown_lowbit_attribute(%x: tensor<3x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{unknown lowbit attribute 'lowbit.layer'}}
  %y = lowbit.linear %x, %w {lowbit.layer = 3} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return
}
