/*===- thread-pool.c - the artifact's thread pool under load --------------===*\
|*                                                                          *|
|* Part of lbc, the low-bit compiler.                                       *|
|*                                                                          *|
|* Runs a model with parallel loops (z = Relu(x W), x 64 x 256) on 1 thread *|
|* for a reference, then on 3 threads, from 4 application threads at once  *|
|* (regions of concurrent runs), and across unloads and reloads of the      *|
|* artifact (its destructor must join the pool's workers before the code    *|
|* is unmapped). Every output must equal the 1-thread one bit for bit: each *|
|* output element is computed by one task in a fixed order, whichever      *|
|* thread runs it.                                                          *|
|* Usage: thread-pool MODEL.so                                               *|
\*===----------------------------------------------------------------------===*/

#include "lbc/runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ROWS 64
#define COLS 256
#define ELEMENTS (ROWS * COLS)
static const int64_t kShape[2] = {ROWS, COLS};
static float input[ELEMENTS], reference[ELEMENTS];

static int runOnce(lbc_model *model, float *z) {
  lbc_tensor x = {LBC_DTYPE_F32, 2, kShape, input, sizeof(input)};
  lbc_tensor out = {LBC_DTYPE_F32, 2, kShape, z, ELEMENTS * sizeof(float)};
  if (lbc_model_run(model, &x, 1, &out, 1) != LBC_OK) {
    printf("run failed: %s\n", lbc_last_error());
    return 1;
  }
  return 0;
}

/* Runs `runs` times; returns the number of runs that differ from the
   reference (or failed). */
static int mismatches(lbc_model *model, int runs) {
  static __thread float z[ELEMENTS];
  int bad = 0;
  for (int run = 0; run < runs; ++run) {
    memset(z, 0, sizeof(z));
    bad += runOnce(model, z) || memcmp(z, reference, sizeof(z)) != 0;
  }
  return bad;
}

typedef struct {
  lbc_model *model;
  int bad;
} Worker;

static void *work(void *argument) {
  Worker *worker = argument;
  worker->bad = mismatches(worker->model, 100);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  for (int i = 0; i < ELEMENTS; ++i)
    input[i] = sinf(0.01f * (float)i);
  lbc_model *model = NULL;
  if (lbc_model_load(argv[1], &model) != LBC_OK) {
    printf("load failed: %s\n", lbc_last_error());
    return 1;
  }
  lbc_model_set_num_threads(model, 1);
  if (runOnce(model, reference))
    return 1;
  int positive = 0;
  for (int i = 0; i < ELEMENTS; ++i)
    positive += reference[i] > 0;
  printf("1 thread: %d of %d outputs positive\n", positive, ELEMENTS);

  lbc_model_set_num_threads(model, 3);
  printf("3 threads: %d mismatches in 50 runs\n", mismatches(model, 50));

  enum { kThreads = 4 };
  pthread_t threads[kThreads];
  Worker workers[kThreads];
  lbc_model_set_num_threads(model, 2);
  for (int t = 0; t < kThreads; ++t) {
    workers[t].model = model;
    pthread_create(&threads[t], NULL, work, &workers[t]);
  }
  int bad = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    bad += workers[t].bad;
  }
  printf("%d application threads x 100 runs: %d mismatches\n", kThreads, bad);
  lbc_model_free(model);

  int reloadBad = 0;
  for (int round = 0; round < 5; ++round) {
    if (lbc_model_load(argv[1], &model) != LBC_OK)
      return 1;
    lbc_model_set_num_threads(model, 2 + round % 2);
    reloadBad += mismatches(model, 5);
    lbc_model_free(model);
  }
  printf("5 reloads: %d mismatches\n", reloadBad);
  return 0;
}
