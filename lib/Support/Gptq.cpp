//===- Gptq.cpp - GPTQ weight fitting for group-wise formats --------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/Gptq.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lbc {
namespace {

/// In-place lower Cholesky factor of the n x n matrix `a` (row-major):
/// a = L L^T. False when `a` is not positive definite.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double diagonal = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      diagonal -= a[j * n + k] * a[j * n + k];
    if (!(diagonal > 0))
      return false;
    double root = std::sqrt(diagonal);
    a[j * n + j] = root;
    for (int64_t i = j + 1; i < n; ++i) {
      double sum = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        sum -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = sum / root;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0;
  }
  return true;
}

/// The inverse of L L^T from its lower factor L: (L^-1)^T L^-1.
std::vector<double> inverseFromCholesky(const std::vector<double> &l,
                                        int64_t n) {
  // L^-1 by forward substitution, column by column.
  std::vector<double> inverse(n * n, 0.0);
  for (int64_t c = 0; c < n; ++c) {
    inverse[c * n + c] = 1.0 / l[c * n + c];
    for (int64_t i = c + 1; i < n; ++i) {
      double sum = 0;
      for (int64_t k = c; k < i; ++k)
        sum += l[i * n + k] * inverse[k * n + c];
      inverse[i * n + c] = -sum / l[i * n + i];
    }
  }
  std::vector<double> result(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) {
      double sum = 0;
      for (int64_t k = j; k < n; ++k)
        sum += inverse[k * n + i] * inverse[k * n + j];
      result[i * n + j] = result[j * n + i] = sum;
    }
  return result;
}

} // namespace

CodecStatus quantizeGptq(const GroupwiseFormat &format, const float *weights,
                         int64_t rows, int64_t cols, const float *gram,
                         const GptqOptions &options, uint8_t *packed,
                         std::string &error) {
  const int64_t n = cols, groupSize = format.groupSize;
  // The order columns are quantized in: order[j] is the j-th column taken.
  // The arrays below (w, h) are kept in that order; groups and codes in the
  // stored one.
  std::vector<int64_t> order(n);
  for (int64_t j = 0; j < n; ++j)
    order[j] = j;
  if (options.actOrder)
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return gram[a * n + a] > gram[b * n + b];
    });
  std::vector<double> w(rows * n), h(n * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      w[r * n + j] = weights[r * cols + order[j]];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      h[i * n + j] = gram[order[i] * n + order[j]];
  // Inputs that never fire carry no information: quantize them freely.
  double meanDiagonal = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (h[j * n + j] == 0) {
      h[j * n + j] = 1;
      for (int64_t r = 0; r < rows; ++r)
        w[r * n + j] = 0;
    }
    meanDiagonal += h[j * n + j] / n;
  }
  for (int64_t j = 0; j < n; ++j)
    h[j * n + j] += options.damping * meanDiagonal;
  // U: the upper Cholesky factor of H^-1 (GPTQ's update rows).
  if (!cholesky(h, n)) {
    error = "the calibration Hessian is not positive definite after "
            "damping";
    return CodecStatus::NonFiniteScale;
  }
  std::vector<double> u = inverseFromCholesky(h, n);
  if (!cholesky(u, n)) {
    error = "the inverse calibration Hessian is not positive definite";
    return CodecStatus::NonFiniteScale;
  }
  // cholesky() left L (lower) with H^-1 = L L^T; GPTQ's rows are U = L^T,
  // stored row-major so the updates run along contiguous memory.
  std::vector<double> rowsOfU(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      rowsOfU[i * n + j] = u[j * n + i];
  auto upper = [&](int64_t i, int64_t j) { return rowsOfU[i * n + j]; };

  // Where each stored column sits in the quantization order.
  std::vector<int64_t> position(n);
  for (int64_t j = 0; j < n; ++j)
    position[order[j]] = j;
  const int64_t groups = (cols + groupSize - 1) / groupSize;
  std::vector<GroupParameters> parameters(rows * groups);
  std::vector<bool> fitted(groups, false);
  std::vector<uint8_t> codes(rows * cols);
  int64_t block = std::max<int64_t>(options.blockSize, groupSize);
  block = (block + groupSize - 1) / groupSize * groupSize;
  std::vector<float> groupValues(groupSize);
  std::vector<double> errors;
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    const int64_t b1 = std::min(n, b0 + block), width = b1 - b0;
    errors.assign(rows * width, 0.0);
    for (int64_t j = b0; j < b1; ++j) {
      const int64_t column = order[j], group = column / groupSize;
      if (!fitted[group]) {
        // The group's parameters, from its columns' current values (none
        // quantized yet; in act-order, those past this block still miss the
        // block's lazy update).
        fitted[group] = true;
        const int64_t first = group * groupSize;
        const int64_t count = std::min(groupSize, cols - first);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t i = 0; i < count; ++i)
            groupValues[i] = static_cast<float>(w[r * n + position[first + i]]);
          CodecStatus status =
              fitGroupParameters(format, groupValues.data(), count,
                                 parameters[r * groups + group]);
          if (status != CodecStatus::Ok) {
            error = "non-finite weights";
            return status;
          }
        }
      }
      const double pivot = upper(j, j);
      for (int64_t r = 0; r < rows; ++r) {
        const GroupParameters &p = parameters[r * groups + group];
        uint8_t code = encodeValue(format, p, static_cast<float>(w[r * n + j]));
        codes[r * cols + column] = code;
        double e = (w[r * n + j] - decodeValue(format, p, code)) / pivot;
        errors[r * width + (j - b0)] = e;
        for (int64_t k = j + 1; k < b1; ++k)
          w[r * n + k] -= e * upper(j, k);
      }
    }
    // The block's errors reach the later columns at once.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = b0; j < b1; ++j) {
        double e = errors[r * width + (j - b0)];
        if (e == 0)
          continue;
        for (int64_t k = b1; k < n; ++k)
          w[r * n + k] -= e * upper(j, k);
      }
  }
  packGroupwise(format, parameters.data(), codes.data(), rows, cols, packed);
  return CodecStatus::Ok;
}

} // namespace lbc
