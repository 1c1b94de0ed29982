/*===- run_model.c - using an lbc artifact from C --------------------------===*\
|*                                                                          *|
|* Part of lbc, the low-bit compiler.                                       *|
|*                                                                          *|
|* The smallest complete application: load model.so with the runtime, print *|
|* its signature, run it on inputs filled with a constant, print the first  *|
|* values of each output. Build: cc run_model.c -llbc_runtime.              *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "lbc/runtime.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "run_model: %s: %s\n", what, lbc_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: run_model MODEL.so [FILL_VALUE]\n");
    return 1;
  }
  float fill = argc > 2 ? strtof(argv[2], NULL) : 1.0f;
  lbc_model *model = NULL;
  if (lbc_model_load(argv[1], &model) != LBC_OK)
    return fail("load");
  printf("recipe %s, target %s\n", lbc_model_recipe(model),
         lbc_model_target(model));

  size_t numInputs = lbc_model_num_inputs(model);
  size_t numOutputs = lbc_model_num_outputs(model);
  lbc_tensor *inputs = calloc(numInputs + 1, sizeof(lbc_tensor));
  lbc_tensor *outputs = calloc(numOutputs + 1, sizeof(lbc_tensor));
  for (size_t i = 0; i < numInputs; ++i) {
    lbc_tensor_info info;
    lbc_model_input(model, i, &info);
    if (lbc_tensor_alloc(info.dtype, info.rank, info.shape, &inputs[i]) != LBC_OK)
      return fail("allocate input");
    if (info.dtype == LBC_DTYPE_F32)
      for (size_t j = 0; j < inputs[i].size_bytes / sizeof(float); ++j)
        ((float *)inputs[i].data)[j] = fill;
    printf("input %s: %s, rank %d\n", info.name, lbc_dtype_name(info.dtype),
           info.rank);
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    lbc_tensor_info info;
    lbc_model_output(model, i, &info);
    if (lbc_tensor_alloc(info.dtype, info.rank, info.shape, &outputs[i]) != LBC_OK)
      return fail("allocate output");
  }
  if (lbc_model_run(model, inputs, numInputs, outputs, numOutputs) != LBC_OK)
    return fail("run");
  for (size_t i = 0; i < numOutputs; ++i) {
    lbc_tensor_info info;
    lbc_model_output(model, i, &info);
    printf("output %s:", info.name);
    if (info.dtype == LBC_DTYPE_F32)
      for (size_t j = 0; j < 4 && j < outputs[i].size_bytes / sizeof(float); ++j)
        printf(" %g", ((float *)outputs[i].data)[j]);
    printf("\n");
    lbc_tensor_free(&outputs[i]);
  }
  for (size_t i = 0; i < numInputs; ++i)
    lbc_tensor_free(&inputs[i]);
  free(inputs);
  free(outputs);
  lbc_model_free(model);
  return 0;
}
