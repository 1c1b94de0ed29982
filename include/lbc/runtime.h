/*===- runtime.h - lbc runtime C API ---------------------------*- C -*-===*\
|*                                                                          *|
|* Part of lbc, the low-bit compiler.                                       *|
|*                                                                          *|
|*===----------------------------------------------------------------------===*|
|*                                                                          *|
|* Load an lbc artifact (model.so), inspect its signature, run it. Every     *|
|* call returns a status; lbc_last_error() gives the message of the last    *|
|* failure on the calling thread. Nothing here aborts on bad input. A       *|
|* loaded model may be run from several threads at once. docs/runtime.md    *|
|* documents the ABI between artifacts and this runtime.                    *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef LBC_RUNTIME_H
#define LBC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LBC_RUNTIME_ABI_VERSION 2

typedef enum lbc_status {
  LBC_OK = 0,
  LBC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, index out of range, ... */
  LBC_ERROR_IO = 2,               /* the artifact cannot be opened/loaded */
  LBC_ERROR_INVALID_ARTIFACT = 3, /* not an lbc artifact, or corrupt metadata */
  LBC_ERROR_ABI_MISMATCH = 4,     /* built for another runtime ABI version */
  LBC_ERROR_MISSING_INPUT = 5,    /* fewer inputs/outputs than the model has */
  LBC_ERROR_DTYPE_MISMATCH = 6,
  LBC_ERROR_SHAPE_MISMATCH = 7, /* rank, dims or buffer size */
  LBC_ERROR_OUT_OF_MEMORY = 8
} lbc_status;

typedef enum lbc_dtype {
  LBC_DTYPE_F32 = 0,
  LBC_DTYPE_F16,
  LBC_DTYPE_BF16,
  LBC_DTYPE_F64,
  LBC_DTYPE_I64,
  LBC_DTYPE_I32,
  LBC_DTYPE_I16,
  LBC_DTYPE_I8,
  LBC_DTYPE_BOOL, /* one byte per element, 0 or 1 */
  LBC_DTYPE_U8,
  LBC_DTYPE_U16,
  LBC_DTYPE_U32,
  LBC_DTYPE_U64
} lbc_dtype;

/* A tensor whose memory belongs to the caller (dense, row-major). */
typedef struct lbc_tensor {
  lbc_dtype dtype;
  int32_t rank;
  const int64_t *shape; /* rank entries */
  void *data;
  size_t size_bytes; /* must equal product(shape) * lbc_dtype_size(dtype) */
} lbc_tensor;

/* An input or output as the model declares it; -1 marks a dynamic dim. A
 * dynamic dim has a name ("sequence") or, for outputs and inputs that depend
 * on other inputs, an expression over the names ("past + 1"); dims of equal
 * name must agree across inputs. */
typedef struct lbc_tensor_info {
  const char *name;
  lbc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  const char *const *dim_names; /* rank entries: "" for static/unnamed dims */
} lbc_tensor_info;

typedef struct lbc_model lbc_model;

/* The message of the last failed call on this thread ("" if none). */
const char *lbc_last_error(void);
const char *lbc_status_name(lbc_status status);
size_t lbc_dtype_size(lbc_dtype dtype);
const char *lbc_dtype_name(lbc_dtype dtype);

lbc_status lbc_model_load(const char *path, lbc_model **model);
void lbc_model_free(lbc_model *model);

size_t lbc_model_num_inputs(const lbc_model *model);
size_t lbc_model_num_outputs(const lbc_model *model);
lbc_status lbc_model_input(const lbc_model *model, size_t index,
                           lbc_tensor_info *info);
lbc_status lbc_model_output(const lbc_model *model, size_t index,
                            lbc_tensor_info *info);
/* Recorded at compile time: the recipe, lbc's version, the target. */
const char *lbc_model_recipe(const lbc_model *model);
const char *lbc_model_lbc_version(const lbc_model *model);
const char *lbc_model_target(const lbc_model *model);
/* The model's weights: how many (logical elements) and their real storage
 * cost in bits per weight, counting scales, zero points and weights kept in
 * higher precision; 0 when the artifact does not record them. */
int64_t lbc_model_weight_count(const lbc_model *model);
double lbc_model_bits_per_weight(const lbc_model *model);
/* Bytes of the weights that lbc_model_load moved from the artifact's file
 * into transparent huge pages (docs/runtime.md); 0 when it moved none (no
 * huge pages offered, weights under 2 MiB, LBC_HUGE_WEIGHTS=0). */
size_t lbc_model_huge_page_weight_bytes(const lbc_model *model);

/* Sets how many threads the model's parallel loops use when it is run from
 * the calling thread or any other (0 = the OpenMP default: OMP_NUM_THREADS
 * or all cores). */
lbc_status lbc_model_set_num_threads(lbc_model *model, int32_t num_threads);

/* Runs the model. `inputs` and `outputs` are in signature order; outputs are
 * written into the caller's buffers. Shapes, dtypes and sizes are checked
 * before anything runs. */
lbc_status lbc_model_run(const lbc_model *model, const lbc_tensor *inputs,
                         size_t num_inputs, lbc_tensor *outputs,
                         size_t num_outputs);

/* The shape of output `output_index` when the model runs on `inputs` (rank
 * entries written to `shape`): how a caller sizes outputs with dynamic dims.
 * The inputs are checked as lbc_model_run checks them; their data is not
 * read. */
lbc_status lbc_model_output_shape(const lbc_model *model,
                                  const lbc_tensor *inputs, size_t num_inputs,
                                  size_t output_index, int64_t *shape);

/* Convenience: allocates a zeroed tensor for `info` (no dynamic dims) or for
 * an explicit shape; free with lbc_tensor_free. */
lbc_status lbc_tensor_alloc(lbc_dtype dtype, int32_t rank, const int64_t *shape,
                            lbc_tensor *tensor);
void lbc_tensor_free(lbc_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* LBC_RUNTIME_H */
