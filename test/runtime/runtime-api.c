/*===- runtime-api.c - the runtime's error handling and thread safety -----===*\
|*                                                                          *|
|* Part of lbc, the low-bit compiler.                                       *|
|*                                                                          *|
|* Drives the C API with bad input of every kind and prints the status and  *|
|* message of each call (checked by FileCheck), then runs one model from    *|
|* several threads at once and compares every result with a single run,    *|
|* and finally calls the artifact's own `lbc_run` (no runtime: it brings   *|
|* its workspace itself).                                                   *|
|* Usage: runtime-api ADD_MODEL.so NOT_AN_ARTIFACT.so WRONG_ABI.so           *|
|* where ADD_MODEL adds two f32 [3,4,5] inputs.                              *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "lbc/runtime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ELEMENTS 60
static const int64_t kShape[3] = {3, 4, 5};

static void report(const char *what, lbc_status status) {
  printf("%s: %s: %s\n", what, lbc_status_name(status),
         status == LBC_OK ? "" : lbc_last_error());
}

static lbc_tensor make(float *data, const int64_t *shape, int32_t rank) {
  lbc_tensor t = {LBC_DTYPE_F32, rank, shape, data, ELEMENTS * sizeof(float)};
  return t;
}

typedef struct {
  lbc_model *model;
  int mismatches;
} Worker;

static void *work(void *argument) {
  Worker *worker = argument;
  float x[ELEMENTS], y[ELEMENTS], z[ELEMENTS];
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < ELEMENTS; ++i) {
      x[i] = (float)(i + round);
      y[i] = (float)(2 * i);
    }
    lbc_tensor inputs[2] = {make(x, kShape, 3), make(y, kShape, 3)};
    lbc_tensor output = make(z, kShape, 3);
    if (lbc_model_run(worker->model, inputs, 2, &output, 1) != LBC_OK)
      ++worker->mismatches;
    for (int i = 0; i < ELEMENTS; ++i)
      if (z[i] != (float)(3 * i + round))
        ++worker->mismatches;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4)
    return 2;
  lbc_model *model = NULL;
  report("missing file", lbc_model_load("/nonexistent/model.so", &model));
  report("not an artifact", lbc_model_load(argv[2], &model));
  report("wrong ABI", lbc_model_load(argv[3], &model));
  report("null path", lbc_model_load(NULL, &model));
  report("load", lbc_model_load(argv[1], &model));

  lbc_tensor_info info;
  report("input 5", lbc_model_input(model, 5, &info));
  report("null model run", lbc_model_run(NULL, NULL, 0, NULL, 0));
  report("negative threads", lbc_model_set_num_threads(model, -1));
  report("two threads", lbc_model_set_num_threads(model, 2));

  float x[ELEMENTS], y[ELEMENTS], z[ELEMENTS];
  for (int i = 0; i < ELEMENTS; ++i) {
    x[i] = (float)i;
    y[i] = 0.5f;
  }
  lbc_tensor inputs[2] = {make(x, kShape, 3), make(y, kShape, 3)};
  lbc_tensor output = make(z, kShape, 3);
  report("one input", lbc_model_run(model, inputs, 1, &output, 1));

  lbc_tensor wrongType = inputs[1];
  wrongType.dtype = LBC_DTYPE_I32;
  lbc_tensor badInputs[2] = {inputs[0], wrongType};
  report("wrong dtype", lbc_model_run(model, badInputs, 2, &output, 1));

  badInputs[1] = make(y, kShape, 2);
  report("wrong rank", lbc_model_run(model, badInputs, 2, &output, 1));

  const int64_t otherShape[3] = {3, 5, 4};
  badInputs[1] = make(y, otherShape, 3);
  report("wrong dims", lbc_model_run(model, badInputs, 2, &output, 1));

  badInputs[1] = inputs[1];
  badInputs[1].size_bytes = 16;
  report("short buffer", lbc_model_run(model, badInputs, 2, &output, 1));

  lbc_tensor inPlace = make(x, kShape, 3);
  report("output over input", lbc_model_run(model, inputs, 2, &inPlace, 1));

  int64_t outputShape[3] = {0, 0, 0};
  report("output shape",
         lbc_model_output_shape(model, inputs, 2, 0, outputShape));
  printf("output shape %lld %lld %lld\n", (long long)outputShape[0],
         (long long)outputShape[1], (long long)outputShape[2]);
  report("output shape of bad inputs",
         lbc_model_output_shape(model, badInputs, 2, 0, outputShape));

  report("run", lbc_model_run(model, inputs, 2, &output, 1));
  printf("z[7] = %g\n", z[7]);

  enum { kThreads = 4 };
  pthread_t threads[kThreads];
  Worker workers[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    workers[t].model = model;
    workers[t].mismatches = 0;
    pthread_create(&threads[t], NULL, work, &workers[t]);
  }
  int mismatches = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    mismatches += workers[t].mismatches;
  }
  printf("%d threads x 300 runs: %d mismatches\n", kThreads, mismatches);
  lbc_model_free(model);

  // The direct ABI (docs/runtime.md): memref descriptors of rank 3.
  void *artifact = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  void (*run)(void **) =
      artifact ? (void (*)(void **))dlsym(artifact, "lbc_run") : NULL;
  if (!run)
    return 1;
  struct {
    float *allocated, *aligned;
    int64_t offset, sizes[3], strides[3];
  } descriptors[3];
  float *buffers[3] = {x, y, z};
  for (int i = 0; i < 3; ++i) {
    descriptors[i].allocated = descriptors[i].aligned = buffers[i];
    descriptors[i].offset = 0;
    for (int d = 0; d < 3; ++d)
      descriptors[i].sizes[d] = kShape[d];
    descriptors[i].strides[0] = 20;
    descriptors[i].strides[1] = 5;
    descriptors[i].strides[2] = 1;
  }
  for (int i = 0; i < ELEMENTS; ++i) {
    x[i] = (float)i;
    y[i] = 0.5f;
    z[i] = 0;
  }
  void *arguments[3] = {&descriptors[0], &descriptors[1], &descriptors[2]};
  run(arguments);
  int wrong = 0;
  for (int i = 0; i < ELEMENTS; ++i)
    wrong += z[i] != (float)i + 0.5f;
  printf("direct lbc_run: %d wrong\n", wrong);
  dlclose(artifact);
  return mismatches != 0 || wrong != 0;
}
