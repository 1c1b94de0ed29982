//===- Hadamard.h - Hadamard matrices and their fast transform --*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The rotations of `rotate` / `smoothrot` (QuaRot, SmoothRot) multiply by
// orthogonal Hadamard matrices. For a size n = 2^m * K lbc uses
//
//   M_n = (H_{2^m} (x) H_K) / sqrt(n)        (Kronecker product)
//
// with H_{2^m} Sylvester's matrix (applied by fast Walsh-Hadamard butterflies)
// and H_K a Hadamard matrix of order K built here by Paley's constructions:
//   - Paley I:  K = q + 1, q = 3 (mod 4) a prime power (12, 20, 28, 44, 60,
//     108, 140, ...);
//   - Paley II: K = 2 (q + 1), q = 1 (mod 4) a prime power (36, 52, ...);
//   - Goethals-Seidel: K = 4n, n odd, from four circulant +-1 sequences
//     whose autocorrelations sum to zero, searched (milliseconds) among
//     sequences invariant under a multiplier group (156 = 4 x 39,
//     172 = 4 x 43, the two orders of methods.md's table Paley misses);
// and Sylvester doubling of those. Orders none of these give (odd ones,
// 90 = 2 x 45) are not available: callers get std::nullopt and say so.
//
// A vector x of length n (index a * K + b: `2^m` chunks of K) is transformed
// as a row vector, x -> x M_n: each chunk is multiplied by H_K, then the
// chunks are combined by the butterflies. M_n is orthogonal, so a linear's
// weight rows transformed the same way keep x W^T = (x M)(W M)^T.
// Depends on neither MLIR nor LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_HADAMARD_H
#define LBC_SUPPORT_HADAMARD_H

#include <cstdint>
#include <optional>
#include <vector>

namespace lbc {

/// n = powerOfTwo * k with H_k constructible; k is the smallest such factor.
struct HadamardSize {
  int64_t powerOfTwo = 1;
  int64_t k = 1;
};

/// How lbc factors a transform of size n, or nullopt when no Hadamard
/// matrix of a needed order K can be built here.
std::optional<HadamardSize> factorHadamardSize(int64_t n);

/// H_k, row-major with entries +-1 (H H^T = k I), for k = 1 or an order that
/// Paley's constructions or doubling give; empty otherwise.
std::vector<int8_t> hadamardMatrix(int64_t k);

/// The K x K factor the transform kernel multiplies chunks by: H_K scaled by
/// 1 / sqrt(n), row-major, as floats. Empty when n has no factorization.
std::vector<float> scaledHadamardFactor(int64_t n);

/// x -> x M_n in place on `rows` rows of n floats (a row every `stride`
/// floats); `factor` is scaledHadamardFactor(n). The reference the kernel and
/// the compiler's weight rotation share.
void hadamardTransformRows(float *x, int64_t rows, int64_t n, int64_t stride,
                           const HadamardSize &size, const float *factor);

/// QuaRot's random Hadamard rotation R = diag(d) M_n, d random signs drawn
/// from a seed: orthogonal, and it spreads any one channel over all n.
class RandomHadamard {
public:
  /// std::nullopt when n has no Hadamard factorization here.
  static std::optional<RandomHadamard> create(int64_t n, uint64_t seed);

  int64_t size() const { return n; }

  /// x -> x R on each run of n floats of `x` (count a multiple of n): the
  /// rows of a matrix whose row length is n, or with a longer row, its
  /// blocks of n, i.e. x -> x blockdiag(R, ..., R).
  void rotateRows(std::vector<float> &x) const;

  /// W -> blockdiag(R, ..., R)^T W for a row-major [rows, cols] W with rows
  /// a multiple of n: the producer's half of rotating its outputs.
  void rotateColumns(std::vector<float> &w, int64_t rows, int64_t cols) const;

private:
  int64_t n = 0;
  HadamardSize factorization;
  std::vector<float> signs, factor;
};

} // namespace lbc

#endif // LBC_SUPPORT_HADAMARD_H
