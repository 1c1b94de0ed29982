//===- Hadamard.cpp - Hadamard matrices and their fast transform ----------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Hadamard.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <random>

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

/// Row sums and periodic autocorrelations PAF(t), t = 1..(n-1)/2, of a +-1
/// sequence of odd length n.
void describeSequence(const std::vector<int> &a, int &sum,
                      std::vector<int> &paf) {
  int64_t n = static_cast<int64_t>(a.size());
  sum = 0;
  for (int v : a)
    sum += v;
  paf.assign((n - 1) / 2, 0);
  for (int64_t t = 1; t <= (n - 1) / 2; ++t)
    for (int64_t i = 0; i < n; ++i)
      paf[t - 1] += a[i] * a[(i + t) % n];
}

/// Four circulant +-1 sequences of odd length n whose periodic
/// autocorrelations sum to 0 at every nonzero shift (then
/// AA^T + BB^T + CC^T + DD^T = 4n I), searched among sequences constant on
/// the orbits of a multiplier group <m> acting on Z_n (Baumert and Hall's
/// way to make the search small: 2^(orbits + 1) candidates), groups with
/// fewest orbits first, meeting in the middle on the sum of two sequences'
/// autocorrelations, for each way of writing 4n as four odd squares (the
/// row sums). Empty when no group with at most 16 orbits gives a quadruple.
std::vector<std::vector<int>> circulantQuadruple(int64_t n) {
  auto gcd = [](int64_t a, int64_t b) {
    while (b) {
      int64_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  // Orbit partitions of Z_n \ {0} per multiplier, fewest orbits first.
  std::vector<std::pair<int64_t, std::vector<std::vector<int64_t>>>> groups;
  for (int64_t m = 2; m < n - 1; ++m) {
    if (gcd(m, n) != 1)
      continue;
    std::vector<std::vector<int64_t>> orbits;
    std::vector<bool> seen(n, false);
    for (int64_t x = 1; x < n; ++x) {
      if (seen[x])
        continue;
      std::vector<int64_t> orbit;
      for (int64_t y = x; !seen[y]; y = y * m % n) {
        seen[y] = true;
        orbit.push_back(y);
      }
      orbits.push_back(orbit);
    }
    if (orbits.size() <= 16)
      groups.push_back({static_cast<int64_t>(orbits.size()), orbits});
  }
  std::stable_sort(
      groups.begin(), groups.end(),
      [](const auto &a, const auto &b) { return a.first < b.first; });
  // Row sums: 4n = a^2 + b^2 + c^2 + d^2, odd, a <= b <= c <= d.
  std::vector<std::array<int, 4>> sums;
  for (int a = 1; a * a <= 4 * n; a += 2)
    for (int b = a; a * a + b * b <= 4 * n; b += 2)
      for (int c = b; a * a + b * b + c * c <= 4 * n; c += 2)
        for (int d = c; a * a + b * b + c * c + d * d <= 4 * n; d += 2)
          if (a * a + b * b + c * c + d * d == 4 * n)
            sums.push_back({a, b, c, d});
  for (const auto &[count, orbits] : groups) {
    int64_t candidates = int64_t(1) << (count + 1);
    std::vector<std::vector<int>> sequences(candidates);
    std::vector<std::vector<int>> pafs(candidates);
    std::map<int, std::vector<int64_t>> bySum;
    for (int64_t bits = 0; bits < candidates; ++bits) {
      std::vector<int> a(n);
      a[0] = (bits & 1) ? 1 : -1;
      for (int64_t k = 0; k < count; ++k)
        for (int64_t x : orbits[k])
          a[x] = ((bits >> (k + 1)) & 1) ? 1 : -1;
      int sum;
      describeSequence(a, sum, pafs[bits]);
      sequences[bits] = std::move(a);
      bySum[sum].push_back(bits);
    }
    for (const auto &s : sums) {
      const auto &as = bySum[s[0]], &bs = bySum[s[1]], &cs = bySum[s[2]],
                 &ds = bySum[s[3]];
      std::map<std::vector<int>, std::pair<int64_t, int64_t>> left;
      for (int64_t i : as)
        for (int64_t j : bs) {
          std::vector<int> key(pafs[i].size());
          for (size_t t = 0; t < key.size(); ++t)
            key[t] = pafs[i][t] + pafs[j][t];
          left.emplace(std::move(key), std::make_pair(i, j));
        }
      for (int64_t k : cs)
        for (int64_t l : ds) {
          std::vector<int> key(pafs[k].size());
          for (size_t t = 0; t < key.size(); ++t)
            key[t] = -(pafs[k][t] + pafs[l][t]);
          auto hit = left.find(key);
          if (hit != left.end())
            return {sequences[hit->second.first], sequences[hit->second.second],
                    sequences[k], sequences[l]};
        }
    }
  }
  return {};
}

/// Goethals and Seidel's array for k = 4n, n odd, from a circulant
/// quadruple (R the back-identity):
///   [  A    BR    CR    DR  ]
///   [ -BR   A    D'R  -C'R  ]
///   [ -CR  -D'R   A    B'R  ]
///   [ -DR   C'R  -B'R   A   ]
std::vector<int8_t> goethalsSeidel(int64_t k) {
  if (k % 4 != 0 || (k / 4) % 2 == 0 || k / 4 < 3)
    return {};
  int64_t n = k / 4;
  std::vector<std::vector<int>> q = circulantQuadruple(n);
  if (q.empty())
    return {};
  // Entry (i, j) of a circulant X, of X R, of X^T R.
  auto circulant = [&](int which, int64_t i, int64_t j) {
    return q[which][((j - i) % n + n) % n];
  };
  auto timesR = [&](int which, int64_t i, int64_t j) {
    return circulant(which, i, n - 1 - j);
  };
  auto transposedTimesR = [&](int which, int64_t i, int64_t j) {
    return circulant(which, n - 1 - j, i);
  };
  enum { A, B, C, D };
  std::vector<int8_t> h(k * k);
  for (int64_t bi = 0; bi < 4; ++bi)
    for (int64_t bj = 0; bj < 4; ++bj)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          int v = 0;
          switch (bi * 4 + bj) {
          case 0:
          case 5:
          case 10:
          case 15:
            v = circulant(A, i, j);
            break;
          case 1:
            v = timesR(B, i, j);
            break;
          case 2:
            v = timesR(C, i, j);
            break;
          case 3:
            v = timesR(D, i, j);
            break;
          case 4:
            v = -timesR(B, i, j);
            break;
          case 6:
            v = transposedTimesR(D, i, j);
            break;
          case 7:
            v = -transposedTimesR(C, i, j);
            break;
          case 8:
            v = -timesR(C, i, j);
            break;
          case 9:
            v = -transposedTimesR(D, i, j);
            break;
          case 11:
            v = transposedTimesR(B, i, j);
            break;
          case 12:
            v = -timesR(D, i, j);
            break;
          case 13:
            v = transposedTimesR(C, i, j);
            break;
          case 14:
            v = -transposedTimesR(B, i, j);
            break;
          }
          h[(bi * n + i) * k + bj * n + j] = static_cast<int8_t>(v);
        }
  // Defensive: a wrong array must never reach a model.
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j) {
      int64_t dot = 0;
      for (int64_t c = 0; c < k; ++c)
        dot += h[i * k + c] * h[j * k + c];
      if (dot != (i == j ? k : 0))
        return {};
    }
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

/// H_k without doubling: Paley, else Goethals-Seidel (searched once per
/// process and remembered: the verifier and the lowering ask repeatedly).
std::vector<int8_t> baseMatrix(int64_t k) {
  std::vector<int8_t> h = paleyMatrix(k);
  if (!h.empty() || k % 4 != 0 || (k / 4) % 2 == 0)
    return h;
  static std::mutex mutex;
  static std::map<int64_t, std::vector<int8_t>> searched;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = searched.find(k);
  if (it == searched.end())
    it = searched.emplace(k, goethalsSeidel(k)).first;
  return it->second;
}

} // namespace

std::vector<int8_t> hadamardMatrix(int64_t k) {
  if (k == 1)
    return {1};
  if (k < 1)
    return {};
  std::vector<int8_t> h = baseMatrix(k);
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
    if (k == 1 || !baseMatrix(k).empty())
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

std::optional<RandomHadamard> RandomHadamard::create(int64_t n, uint64_t seed) {
  std::optional<HadamardSize> factorization = factorHadamardSize(n);
  if (!factorization)
    return std::nullopt;
  RandomHadamard rotation;
  rotation.n = n;
  rotation.factorization = *factorization;
  rotation.factor = scaledHadamardFactor(n);
  rotation.signs.resize(n);
  std::mt19937_64 rng(seed);
  for (float &s : rotation.signs)
    s = (rng() & 1) ? 1.0f : -1.0f;
  return rotation;
}

void RandomHadamard::rotateRows(std::vector<float> &x) const {
  const int64_t rows = static_cast<int64_t>(x.size()) / n;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      x[r * n + j] *= signs[j];
  hadamardTransformRows(x.data(), rows, n, n, factorization, factor.data());
}

void RandomHadamard::rotateColumns(std::vector<float> &w, int64_t rows,
                                   int64_t cols) const {
  // (R^T W)^T = W^T R: rotate the rows of the transpose.
  std::vector<float> transposed(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      transposed[c * rows + r] = w[r * cols + c];
  rotateRows(transposed);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w[r * cols + c] = transposed[c * rows + r];
}

} // namespace lbc
