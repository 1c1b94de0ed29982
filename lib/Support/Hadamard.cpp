//===- Hadamard.cpp - Hadamard matrices and their fast transform ----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Hadamard.h"

#include <cmath>

namespace lbc {
namespace {

/// q = p^m with p prime, m <= 3 (the fields Paley's constructions need for
/// the orders lbc meets; an irreducible polynomial of degree <= 3 is one
/// without roots, which keeps the field construction simple).
struct PrimePower {
  int64_t p = 0, m = 0;
};

std::optional<PrimePower> primePower(int64_t q) {
  if (q < 2)
    return std::nullopt;
  int64_t p = 2;
  while (q % p != 0)
    ++p;
  int64_t m = 0;
  for (int64_t rest = q; rest > 1; rest /= p, ++m)
    if (rest % p != 0)
      return std::nullopt;
  if (m > 3)
    return std::nullopt;
  return PrimePower{p, m};
}

/// GF(p^m): an element is the integer whose base-p digits are its
/// polynomial's coefficients (lowest first).
class FiniteField {
public:
  explicit FiniteField(PrimePower pm) : p(pm.p), m(pm.m) {
    size = 1;
    for (int64_t i = 0; i < m; ++i)
      size *= p;
    // The first monic polynomial of degree m without a root in GF(p).
    modulus.assign(m + 1, 0);
    modulus[m] = 1;
    for (int64_t low = 0; m > 1 && low < size; ++low) {
      for (int64_t i = 0, rest = low; i < m; ++i, rest /= p)
        modulus[i] = rest % p;
      bool hasRoot = false;
      for (int64_t x = 0; x < p && !hasRoot; ++x) {
        int64_t value = 0;
        for (int64_t i = m; i >= 0; --i)
          value = (value * x + modulus[i]) % p;
        hasRoot = value == 0;
      }
      if (!hasRoot)
        break;
    }
  }

  int64_t order() const { return size; }

  int64_t subtract(int64_t a, int64_t b) const {
    std::vector<int64_t> x = digits(a), y = digits(b);
    for (int64_t i = 0; i < m; ++i)
      x[i] = ((x[i] - y[i]) % p + p) % p;
    return number(x);
  }

  int64_t multiply(int64_t a, int64_t b) const {
    std::vector<int64_t> x = digits(a), y = digits(b);
    std::vector<int64_t> product(2 * m, 0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j)
        product[i + j] = (product[i + j] + x[i] * y[j]) % p;
    // Reduce by the monic modulus from the top degree down.
    for (int64_t degree = 2 * m - 1; degree >= m; --degree) {
      int64_t c = product[degree];
      for (int64_t i = 0; i <= m; ++i)
        product[degree - m + i] =
            ((product[degree - m + i] - c * modulus[i]) % p + p) % p;
    }
    product.resize(m);
    return number(product);
  }

  /// The quadratic character: 0 for 0, 1 for a nonzero square, -1 otherwise.
  std::vector<int> quadraticCharacter() const {
    std::vector<int> chi(size, -1);
    chi[0] = 0;
    for (int64_t x = 1; x < size; ++x)
      chi[multiply(x, x)] = 1;
    return chi;
  }

private:
  std::vector<int64_t> digits(int64_t a) const {
    std::vector<int64_t> d(m);
    for (int64_t i = 0; i < m; ++i, a /= p)
      d[i] = a % p;
    return d;
  }
  int64_t number(const std::vector<int64_t> &d) const {
    int64_t a = 0;
    for (int64_t i = m - 1; i >= 0; --i)
      a = a * p + d[i];
    return a;
  }

  int64_t p, m, size;
  std::vector<int64_t> modulus;
};

/// The (q + 1) x (q + 1) Paley core: row/column 0 is the border (0 at the
/// corner, `border` along the top, `border * sign` down the side); the rest is
/// Jacobsthal's matrix Q[i][j] = chi(a_i - a_j).
std::vector<int> paleyCore(const FiniteField &field, int sign) {
  int64_t q = field.order(), k = q + 1;
  std::vector<int> chi = field.quadraticCharacter();
  std::vector<int> core(k * k, 0);
  for (int64_t i = 1; i < k; ++i) {
    core[i] = 1;
    core[i * k] = sign;
    for (int64_t j = 1; j < k; ++j)
      core[i * k + j] = chi[field.subtract(i - 1, j - 1)];
  }
  return core;
}

/// Paley I (q = 3 mod 4): H = I + S with S the skew border of the core.
std::vector<int8_t> paleyOne(const FiniteField &field) {
  int64_t k = field.order() + 1;
  std::vector<int> s = paleyCore(field, -1);
  std::vector<int8_t> h(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      h[i * k + j] = static_cast<int8_t>(s[i * k + j] + (i == j ? 1 : 0));
  return h;
}

/// Paley II (q = 1 mod 4): the symmetric conference matrix C, then
/// H = C (x) [[1, 1], [1, -1]] + I (x) [[1, -1], [-1, -1]].
std::vector<int8_t> paleyTwo(const FiniteField &field) {
  int64_t c = field.order() + 1, k = 2 * c;
  std::vector<int> conference = paleyCore(field, 1);
  std::vector<int8_t> h(k * k);
  const int offDiagonal[2][2] = {{1, 1}, {1, -1}};
  const int diagonal[2][2] = {{1, -1}, {-1, -1}};
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          h[(2 * i + a) * k + 2 * j + b] = static_cast<int8_t>(
              i == j ? diagonal[a][b]
                     : conference[i * c + j] * offDiagonal[a][b]);
  return h;
}

/// H_k from a Paley construction alone (no doubling), or empty.
std::vector<int8_t> paleyMatrix(int64_t k) {
  if (std::optional<PrimePower> q = primePower(k - 1); q && (k - 1) % 4 == 3)
    return paleyOne(FiniteField(*q));
  if (k % 2 == 0)
    if (std::optional<PrimePower> q = primePower(k / 2 - 1);
        q && (k / 2 - 1) % 4 == 1)
      return paleyTwo(FiniteField(*q));
  return {};
}

} // namespace

std::vector<int8_t> hadamardMatrix(int64_t k) {
  if (k == 1)
    return {1};
  if (k < 1)
    return {};
  std::vector<int8_t> h = paleyMatrix(k);
  if (!h.empty() || k % 2 != 0)
    return h;
  // Sylvester doubling: [[H, H], [H, -H]].
  std::vector<int8_t> half = hadamardMatrix(k / 2);
  if (half.empty())
    return {};
  int64_t r = k / 2;
  h.resize(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      int8_t value = half[(i % r) * r + j % r];
      h[i * k + j] = (i >= r && j >= r) ? static_cast<int8_t>(-value) : value;
    }
  return h;
}

std::optional<HadamardSize> factorHadamardSize(int64_t n) {
  if (n < 1)
    return std::nullopt;
  int64_t powerOfTwo = 1;
  while (n % (2 * powerOfTwo) == 0)
    powerOfTwo *= 2;
  // The largest power of two whose cofactor has a Paley matrix (or is 1):
  // the butterflies are cheaper than the dense K x K product.
  for (; powerOfTwo >= 1; powerOfTwo /= 2) {
    int64_t k = n / powerOfTwo;
    if (k == 1 || !paleyMatrix(k).empty())
      return HadamardSize{powerOfTwo, k};
  }
  return std::nullopt;
}

std::vector<float> scaledHadamardFactor(int64_t n) {
  std::optional<HadamardSize> size = factorHadamardSize(n);
  if (!size)
    return {};
  std::vector<int8_t> h = hadamardMatrix(size->k);
  std::vector<float> factor(h.size());
  float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)));
  for (size_t i = 0; i < h.size(); ++i)
    factor[i] = h[i] * scale;
  return factor;
}

void hadamardTransformRows(float *x, int64_t rows, int64_t n, int64_t stride,
                           const HadamardSize &size, const float *factor) {
  int64_t k = size.k;
  std::vector<float> chunk(k);
  for (int64_t r = 0; r < rows; ++r) {
    float *row = x + r * stride;
    // Each chunk times the scaled H_K (as a row vector).
    for (int64_t c = 0; c < size.powerOfTwo; ++c) {
      float *in = row + c * k;
      for (int64_t j = 0; j < k; ++j) {
        double sum = 0;
        for (int64_t i = 0; i < k; ++i)
          sum += static_cast<double>(in[i]) * factor[i * k + j];
        chunk[j] = static_cast<float>(sum);
      }
      for (int64_t j = 0; j < k; ++j)
        in[j] = chunk[j];
    }
    // Sylvester's butterflies across chunks.
    for (int64_t h = 1; h < size.powerOfTwo; h *= 2)
      for (int64_t base = 0; base < size.powerOfTwo; base += 2 * h)
        for (int64_t c = base; c < base + h; ++c)
          for (int64_t j = 0; j < k; ++j) {
            float u = row[c * k + j], v = row[(c + h) * k + j];
            row[c * k + j] = u + v;
            row[(c + h) * k + j] = u - v;
          }
  }
}

} // namespace lbc
