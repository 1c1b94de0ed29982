//===- matmul_bench.cpp - lbc matmul vs oneDNN vs memory bandwidth --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Times an lbc-compiled MatMul artifact through the runtime, oneDNN's sgemm
// on the same shape, and a streaming read of a buffer larger than L3, all in
// one process and one run (the machines are noisy: only same-run ratios
// mean anything). Prints one JSON line.
//
// usage: lbc-bench-matmul MODEL.so M K N [REPEATS]
//
//===----------------------------------------------------------------------===//

#include "lbc/runtime.h"

#include <dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

double medianMs(int repeats, const std::function<void()> &fn) {
  fn(); // warm up
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Read bandwidth of `threads` threads each summing its contiguous part of a
/// `bytes` buffer (summing floats so the loads cannot be removed), with the
/// hardware prefetchers alone or also prefetching 8 KiB ahead (prefetcht0, as
/// lbc's row kernels do).
double readGBps(const std::vector<float> &buffer, int threads, bool prefetch) {
  std::vector<float> sinks(threads * 16, 0.0f);
  size_t part = buffer.size() / threads / 16 * 16;
  constexpr size_t kAhead = 8192 / sizeof(float);
  double ms = medianMs(5, [&] {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        float sums[16] = {0};
        const float *begin = buffer.data() + t * part;
        for (size_t i = 0; i + 16 <= part; i += 16) {
          if (prefetch && i + kAhead < part)
            __builtin_prefetch(begin + i + kAhead, 0, 3);
          for (int j = 0; j < 16; ++j)
            sums[j] += begin[i + j];
        }
        float total = 0;
        for (float sum : sums)
          total += sum;
        sinks[t * 16] = total;
      });
    for (std::thread &worker : workers)
      worker.join();
  });
  volatile float sink = sinks[0];
  (void)sink;
  return static_cast<double>(part) * threads * sizeof(float) / ms / 1e6;
}

/// The streaming-read ceiling for a kernel that streams its weights once
/// with `threads` threads: the better of readGBps' two loops over a buffer
/// far larger than the caches. On a Sapphire Rapids class Xeon the plain
/// loop read ~13 GB/s on one thread, below what the prefetching kernels
/// streamed; on Zen the two loops read alike.
double streamingReadGBps(size_t bytes, int threads) {
  threads = std::max(threads, 1);
  std::vector<float> buffer(bytes / sizeof(float), 1.0f);
  return std::max(readGBps(buffer, threads, false),
                  readGBps(buffer, threads, true));
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 3 && std::string(argv[1]) == "--stream") {
    // The bandwidth peer alone, for benchmarks driven from scripts.
    int threads = std::atoi(argv[2]);
    std::printf("{\"bench\": \"stream\", \"threads\": %d, "
                "\"stream_read_gbps\": %.2f}\n",
                threads, streamingReadGBps(512u << 20, threads));
    return 0;
  }
  if (argc < 5) {
    std::fprintf(stderr, "usage: lbc-bench-matmul MODEL.so M K N [REPEATS]\n");
    return 1;
  }
  int64_t m = std::atoll(argv[2]), k = std::atoll(argv[3]),
          n = std::atoll(argv[4]);
  int repeats = argc > 5 ? std::atoi(argv[5]) : 10;
  // Both sides use OpenMP threads: OMP_NUM_THREADS sets the count for both.
  const char *threadsText = std::getenv("OMP_NUM_THREADS");
  int threads = threadsText ? std::atoi(threadsText) : 0;
  lbc_model *model = nullptr;
  if (lbc_model_load(argv[1], &model) != LBC_OK) {
    std::fprintf(stderr, "lbc-bench-matmul: %s\n", lbc_last_error());
    return 1;
  }
  std::vector<float> a(m * k), b(k * n), c(m * n), reference(m * n);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>((i * 7919) % 17) / 17.0f - 0.5f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>((i * 104729) % 13) / 13.0f - 0.5f;
  int64_t shapeA[2] = {m, k}, shapeB[2] = {k, n}, shapeC[2] = {m, n};
  lbc_tensor inputs[2] = {
      {LBC_DTYPE_F32, 2, shapeA, a.data(), a.size() * sizeof(float)},
      {LBC_DTYPE_F32, 2, shapeB, b.data(), b.size() * sizeof(float)}};
  lbc_tensor output = {LBC_DTYPE_F32, 2, shapeC, c.data(),
                       c.size() * sizeof(float)};

  double lbcMs =
      medianMs(repeats, [&] { lbc_model_run(model, inputs, 2, &output, 1); });
  double onednnMs = medianMs(repeats, [&] {
    dnnl_sgemm('N', 'N', m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f,
               reference.data(), n);
  });
  double maxError = 0, maxValue = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    maxError = std::max(maxError, double(std::abs(c[i] - reference[i])));
    maxValue = std::max(maxValue, double(std::abs(reference[i])));
  }
  double stream = streamingReadGBps(512u << 20, threads);
  double flops = 2.0 * m * n * k, weightBytes = 4.0 * k * n;
  std::printf("{\"bench\": \"matmul\", \"m\": %lld, \"k\": %lld, \"n\": %lld, "
              "\"threads\": %d, \"lbc_ms\": %.3f, \"onednn_ms\": %.3f, "
              "\"lbc_gflops\": %.2f, \"onednn_gflops\": %.2f, "
              "\"lbc_weight_gbps\": %.2f, \"onednn_weight_gbps\": %.2f, "
              "\"stream_read_gbps\": %.2f, \"lbc_vs_onednn\": %.3f, "
              "\"lbc_vs_stream\": %.3f, \"max_rel_error\": %.2e}\n",
              (long long)m, (long long)k, (long long)n, threads, lbcMs,
              onednnMs, flops / lbcMs / 1e6, flops / onednnMs / 1e6,
              weightBytes / lbcMs / 1e6, weightBytes / onednnMs / 1e6, stream,
              onednnMs / lbcMs, weightBytes / lbcMs / 1e6 / stream,
              maxError / std::max(maxValue, 1e-30));
  lbc_model_free(model);
  return 0;
}
