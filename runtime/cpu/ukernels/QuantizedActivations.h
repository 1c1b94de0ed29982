//===- QuantizedActivations.h - int8 activation layout of the a8 kernels --===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Where lbc_ukernel_quantize_activations writes a row of int8 activations and
// where lbc_ukernel_groupwise_linear_a8 reads it. Shared by the kernels and
// by the compiler, which sizes the scratch buffer; depends on nothing.
//
// The `a8` recipe step quantizes each row of a linear's input per block of 32
// consecutive input channels: d = max|x| / 127, q = round(x / d) (half away
// from zero; q = 0 when d = 0). A row's bytes hold, in sections:
//   - codes: `chunks` chunks of 64 int8 codes covering inputs
//     [0, 64 * chunks), each in the order the kernel's vector of weight codes
//     has them (so one integer dot product instruction pairs them;
//     `chunkCodeIndex`);
//   - corrections: per chunk and 4-code lane the i32 -offset * (sum of the
//     lane's 4 codes), which turns the dot product with unsigned stored
//     codes (value + offset) into the signed one;
//   - chunk scales: per chunk two f32, the scales of the blocks of its lane
//     0 and its lane 15 (every chunk spans two blocks; `interleavedLanes`
//     tells which lanes belong to which);
//   - the f32 scale of every block of the row (ceil(k / 32) of them);
//   - per block, its dequantized input sum (scale x sum of its codes), which
//     kernels that apply a code offset or min per group need;
//   - the codes of inputs [64 * chunks, k) in natural order.
// Sections start 64-byte aligned, so every row does. A chunk costs the
// kernels 136 bytes of reads (64 + 64 + 8): for long rows these come from
// L2, and per-lane scales (another 64 bytes) measured 1.75x slower; the
// VNNI group-wise kernel skips the corrections too (72 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_QUANTIZEDACTIVATIONS_H
#define LBC_RUNTIME_CPU_UKERNELS_QUANTIZEDACTIVATIONS_H

#include <cstdint>

namespace lbc::ukernels {

/// Input channels per activation scale.
constexpr int64_t kActivationBlock = 32;
/// Codes per chunk: one 512-bit vector of int8.
constexpr int64_t kChunkCodes = 64;
/// Lanes of four codes per chunk (one i32 dot-product lane each).
constexpr int64_t kChunkLanes = kChunkCodes / 4;
constexpr int64_t roundUp64(int64_t bytes) { return (bytes + 63) / 64 * 64; }

struct ActivationLayout {
  int64_t chunks = 0;            // chunks of 64 codes in kernel order
  int64_t correctionsOffset = 0; // i32 per chunk lane
  int64_t chunkScalesOffset = 0; // two f32 per chunk
  int64_t blockScalesOffset = 0; // f32 per block of 32 inputs
  int64_t blockSumsOffset = 0;   // f32 per block: scale x sum of codes
  int64_t tailOffset = 0;        // codes of [64 * chunks, k), natural order
  int64_t rowBytes = 0;          // bytes per row, a multiple of 64
};

/// The layout of one quantized row of `k` inputs for a weight with groups of
/// `groupSize` (a multiple of 32): chunks cover the weight's whole groups.
constexpr ActivationLayout activationLayout(int64_t k, int64_t groupSize) {
  ActivationLayout layout;
  layout.chunks = (k / groupSize) * groupSize / kChunkCodes;
  int64_t blocks = (k + kActivationBlock - 1) / kActivationBlock;
  layout.correctionsOffset = layout.chunks * kChunkCodes;
  layout.chunkScalesOffset =
      layout.correctionsOffset + layout.chunks * 4 * kChunkLanes;
  layout.blockScalesOffset =
      layout.chunkScalesOffset + roundUp64(layout.chunks * 8);
  layout.blockSumsOffset = layout.blockScalesOffset + roundUp64(4 * blocks);
  layout.tailOffset = layout.blockSumsOffset + roundUp64(4 * blocks);
  layout.rowBytes =
      layout.tailOffset + roundUp64(k - layout.chunks * kChunkCodes);
  return layout;
}

/// Whether a chunk's lanes alternate between its two blocks by fours
/// (lanes 0-3 and 8-11 in the first, 4-7 and 12-15 in the second: 4-bit
/// codes in groups of 32, where one 32-byte load holds two groups' halves);
/// otherwise lanes 0-7 are in the first block and 8-15 in the second.
constexpr bool interleavedLanes(int64_t bits, int64_t groupSize) {
  return bits == 4 && groupSize == 32;
}

/// The input index of byte `byte` (0..63) of chunk `chunk`'s code vector for
/// a weight of `bits` (other than 4: codes in input order; 4: Q4_0 split
/// halves, where packed byte j of a group holds code j in its low nibble and
/// code j + groupSize / 2 in its high one, and the kernel puts the low
/// nibbles of 32 packed bytes first, then their high nibbles).
constexpr int64_t chunkCodeIndex(int64_t chunk, int64_t byte, int64_t bits,
                                 int64_t groupSize) {
  if (bits != 4)
    return chunk * kChunkCodes + byte;
  int64_t packedByte = chunk * 32 + byte % 32;
  int64_t half = groupSize / 2;
  int64_t group = packedByte / half, offset = packedByte % half;
  return group * groupSize + offset + (byte >= 32 ? half : 0);
}

/// Whether the a8 kernels handle a weight of `bits` with groups of
/// `groupSize`: 2 to 8 bits (4: split halves, others lsb-first), and groups
/// of 32 or a multiple of 64, so that chunks hold whole groups and cover
/// exactly inputs [0, 64 * chunks).
constexpr bool a8KernelHandles(int64_t bits, int64_t groupSize) {
  return bits >= 2 && bits <= 8 &&
         (groupSize == 32 || (groupSize > 0 && groupSize % 64 == 0));
}

/// Whether lbc_ukernel_quantize_activations lays out codes for a weight of
/// `bits` with groups of `groupSize`: the group-wise a8 kernels' formats,
/// and the symmetric K-quants' (3 or 6 bits, groups of 64: natural order,
/// lane corrections for the code offset 4 or 32).
constexpr bool activationCodesHandle(int64_t bits, int64_t groupSize) {
  return a8KernelHandles(bits, groupSize) ||
         ((bits == 3 || bits == 6) && groupSize == 64);
}

/// What the stored unsigned code exceeds the signed value by.
constexpr int64_t codeOffset(int64_t bits) { return int64_t(1) << (bits - 1); }

/// The longest rows lbc_ukernel_quantize_rotated_activations rotates (in a
/// 64 KiB stack buffer); the compiler fuses lowbit.hadamard into the
/// quantization only up to this width.
constexpr int64_t kMaxRotatedInputs = 16384;

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_QUANTIZEDACTIVATIONS_H
