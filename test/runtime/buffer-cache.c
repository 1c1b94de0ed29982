/*===- buffer-cache.c - the artifact's cache of dynamic intermediates -----===*\
|*                                                                          *|
|* Part of lbc, the low-bit compiler.                                       *|
|*                                                                          *|
|* Runs a model with a dynamic row count (z = Relu(x W), W 256 x 512) at    *|
|* several sizes in one loaded model, so that later runs get blocks that    *|
|* earlier, larger or smaller, runs left in the artifact's buffer cache     *|
|* (with stale contents), and compares each output bit for bit with a run   *|
|* of the same size in a freshly loaded model (unloading frees the cache).  *|
|* Usage: buffer-cache MODEL.so                                              *|
\*===----------------------------------------------------------------------===*/

#include "lbc/runtime.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLS_IN 256
#define COLS_OUT 512
#define MAX_ROWS 300
static const int64_t kSizes[] = {64, 300, 64, 150, 300, 40};
#define SIZES (int)(sizeof(kSizes) / sizeof(kSizes[0]))
static float input[MAX_ROWS * COLS_IN];
static float reference[SIZES][MAX_ROWS * COLS_OUT];
static float output[MAX_ROWS * COLS_OUT];

static int run(lbc_model *model, int64_t rows, float *z) {
  int64_t inShape[2] = {rows, COLS_IN}, outShape[2] = {rows, COLS_OUT};
  lbc_tensor x = {LBC_DTYPE_F32, 2, inShape, input,
                  (size_t)rows * COLS_IN * sizeof(float)};
  lbc_tensor out = {LBC_DTYPE_F32, 2, outShape, z,
                    (size_t)rows * COLS_OUT * sizeof(float)};
  if (lbc_model_run(model, &x, 1, &out, 1) != LBC_OK) {
    printf("run failed: %s\n", lbc_last_error());
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  for (int i = 0; i < MAX_ROWS * COLS_IN; ++i)
    input[i] = cosf(0.003f * (float)i);
  lbc_model *model = NULL;
  for (int s = 0; s < SIZES; ++s) {
    if (lbc_model_load(argv[1], &model) != LBC_OK)
      return 1;
    lbc_model_set_num_threads(model, 2);
    if (run(model, kSizes[s], reference[s]))
      return 1;
    lbc_model_free(model);
  }
  if (lbc_model_load(argv[1], &model) != LBC_OK)
    return 1;
  lbc_model_set_num_threads(model, 2);
  int mismatches = 0;
  for (int round = 0; round < 3; ++round)
    for (int s = 0; s < SIZES; ++s) {
      memset(output, 0xff, sizeof(output));
      if (run(model, kSizes[s], output))
        return 1;
      mismatches += memcmp(output, reference[s],
                           (size_t)kSizes[s] * COLS_OUT * sizeof(float)) != 0;
    }
  lbc_model_free(model);
  printf("%d sizes x 3 rounds in one loaded model: %d mismatches\n", SIZES,
         mismatches);
  return mismatches != 0;
}
