//===- PackedWeights.h - reading lbc's group-wise packed weights ----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Where a packed weight's codes and scales are (lib/Support/GroupwiseCodec.h
// defines the bytes) and scalar reads of them, shared by the microkernels.
// Depends on nothing but the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_PACKEDWEIGHTS_H
#define LBC_RUNTIME_CPU_UKERNELS_PACKEDWEIGHTS_H

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace lbc::ukernels {

inline float loadHalf(const uint8_t *p) {
  _Float16 h;
  std::memcpy(&h, p, sizeof(h));
  return static_cast<float>(h);
}

/// Where the packed sections are, for a weight of nTotal x k: the codes of
/// all rows (groups of groupBytes, groupsPerRow per row), then, 64-byte
/// aligned, one f16 scale per group, then (asymmetric formats with f16 zero
/// points) 64-byte aligned, one f16 zero point per group.
struct PackedLayout {
  int64_t groupsPerRow, groupBytes, fullGroups;
  const uint8_t *codes, *scales, *zeroPoints = nullptr;

  PackedLayout(const uint8_t *packed, int64_t nTotal, int64_t k, int64_t bits,
               int64_t groupSize, bool hasZeroPoints = false)
      : groupsPerRow((k + groupSize - 1) / groupSize),
        groupBytes(groupSize * bits / 8), fullGroups(k / groupSize),
        codes(packed) {
    int64_t codeBytes = nTotal * groupsPerRow * groupBytes;
    scales = packed + ((codeBytes + 63) / 64) * 64;
    if (hasZeroPoints)
      zeroPoints = scales + ((nTotal * groupsPerRow * 2 + 63) / 64) * 64;
  }

  const uint8_t *rowCodes(int64_t n) const {
    return codes + n * groupsPerRow * groupBytes;
  }
  const uint8_t *rowScales(int64_t n) const {
    return scales + n * groupsPerRow * 2;
  }
  const uint8_t *rowZeroPoints(int64_t n) const {
    return zeroPoints + n * groupsPerRow * 2;
  }
};

/// The stored (unsigned, offset) code of input `index` of a group (8-bit
/// lsb-first, 4-bit split halves of `groupSize`).
inline int storedCode(const uint8_t *codes, int64_t index, int64_t bits,
                      int64_t groupSize) {
  if (bits == 4) {
    int64_t half = groupSize / 2;
    return index < half ? codes[index] & 15 : codes[index - half] >> 4;
  }
  int64_t bit = index * bits;
  unsigned word = codes[bit / 8];
  if ((bit % 8) + bits > 8)
    word |= unsigned(codes[bit / 8 + 1]) << 8;
  return (word >> (bit % 8)) & ((1u << bits) - 1);
}

/// Calls `body(std::integral_constant<int, B>())` with B = `bits` (2..8;
/// anything else as 8): kernels are specialized per code width. Always
/// inlined: the artifact calls a kernel with a constant width, so the switch
/// folds to the one instance and that inlines into the call with its constant
/// shapes; as a function of its own (too large for the inliner) it computed
/// with the shapes as run-time values, 2x slower for w4 with f32 inputs.
template <typename Body>
__attribute__((always_inline)) inline void withCodeBits(int64_t bits,
                                                        Body &&body) {
  switch (bits) {
  case 2:
    body(std::integral_constant<int, 2>());
    break;
  case 3:
    body(std::integral_constant<int, 3>());
    break;
  case 4:
    body(std::integral_constant<int, 4>());
    break;
  case 5:
    body(std::integral_constant<int, 5>());
    break;
  case 6:
    body(std::integral_constant<int, 6>());
    break;
  case 7:
    body(std::integral_constant<int, 7>());
    break;
  default:
    body(std::integral_constant<int, 8>());
    break;
  }
}

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_PACKEDWEIGHTS_H
