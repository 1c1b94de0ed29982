//===- SpanWalk.h - the row kernels' walk over k spans ----------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The order in which the f32-input row kernels (group-wise, K-quant, NF4)
// visit a weight: k in spans of at most kSpanInputs inputs over all rows,
// each span over every output, so that the span of x stays in L1. A group
// of 32 4-bit codes (16 bytes) meets 128 bytes of f32 x; once x outgrew L1
// (k = 11008 is 43 KiB) those loads came from L2 and the kernels ran at
// 0.4 of their k = 4096 speed. The codes are then read in runs of one span
// per output, which the hardware prefetchers do not follow, so the kernels
// prefetch the runs of the output kPrefetchBytes ahead themselves (which
// also beats the hardware prefetchers on a walk in one span). Depends on
// nothing but the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_RUNTIME_CPU_UKERNELS_SPANWALK_H
#define LBC_RUNTIME_CPU_UKERNELS_SPANWALK_H

#include <cstdint>

namespace lbc::ukernels {

/// Inputs of x per span, over all rows (16 KiB of f32).
constexpr int64_t kSpanInputs = 4096;

/// How far ahead of the codes being decoded the kernels prefetch, in bytes
/// of their code stream (rounded up to whole runs of one output).
constexpr int64_t kPrefetchBytes = 8192;

/// Units (groups, blocks, super-blocks of `unitInputs` inputs) per span for
/// `rows` rows of x: at least one.
inline int64_t unitsPerSpan(int64_t rows, int64_t unitInputs) {
  int64_t units = kSpanInputs / rows / unitInputs;
  return units > 0 ? units : 1;
}

/// How many outputs ahead of the one being decoded the prefetched run is,
/// for runs of `runBytes` code bytes per output, `prefetchBytes` ahead.
inline int64_t outputsAhead(int64_t runBytes,
                            int64_t prefetchBytes = kPrefetchBytes) {
  return runBytes > 0 ? (prefetchBytes + runBytes - 1) / runBytes : 1;
}

/// Prefetches the cache line of `at` into all cache levels (a hint: any
/// address is allowed, none faults). Not the non-temporal hint
/// (prefetchnta): on an Intel Xeon (Sapphire Rapids class) it left the w4
/// and q4k decode chains 2.4 times slower than prefetcht0, slower than no
/// prefetch at all.
inline void prefetchLine(const void *at) { __builtin_prefetch(at, 0, 3); }

/// Prefetches [at, at + bytes) (prefetchLine per 64-byte line).
inline void prefetchRun(const uint8_t *at, int64_t bytes) {
  for (int64_t offset = 0; offset < bytes; offset += 64)
    prefetchLine(at + offset);
}

/// y[r][n] = sum over spans of spanDot's partial sums, for outputs [nBegin,
/// nEnd) and `units` units of k taken `span` at a time: startSpan(u0, u1)
/// once per span (per-span input sums), then spanDot(n, u0, u1, partial)
/// per output, which fills partial[0 .. Rows). With no units y is zero, so
/// that a kernel adds a partial last unit to y in any case.
template <int Rows, typename StartSpan, typename SpanDot>
inline void walkSpans(int64_t units, int64_t span, int64_t nBegin, int64_t nEnd,
                      float *__restrict ys, int64_t yStride,
                      StartSpan startSpan, SpanDot spanDot) {
  if (units == 0)
    for (int64_t n = nBegin; n < nEnd; ++n)
      for (int r = 0; r < Rows; ++r)
        ys[r * yStride + n] = 0.0f;
  for (int64_t u0 = 0; u0 < units; u0 += span) {
    const int64_t u1 = units - u0 < span ? units : u0 + span;
    startSpan(u0, u1);
    for (int64_t n = nBegin; n < nEnd; ++n) {
      float partial[Rows];
      spanDot(n, u0, u1, partial);
      for (int r = 0; r < Rows; ++r) {
        float &y = ys[r * yStride + n];
        y = u0 == 0 ? partial[r] : y + partial[r];
      }
    }
  }
}

} // namespace lbc::ukernels

#endif // LBC_RUNTIME_CPU_UKERNELS_SPANWALK_H
