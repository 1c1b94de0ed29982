//===- TensorFiles.h - .npy and ONNX TensorProto files ----------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Reading model inputs from .npy or ONNX TensorProto (.pb) files and writing
// outputs as .npy, for lbc-run and the compiler's calibration.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_SUPPORT_TENSORFILES_H
#define LBC_SUPPORT_TENSORFILES_H

#include "lbc/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lbc {

/// A tensor that owns its shape and bytes.
struct HostTensor {
  lbc_dtype dtype = LBC_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  /// A borrowed view for the runtime C API.
  lbc_tensor view() {
    return {dtype, static_cast<int32_t>(shape.size()), shape.data(),
            bytes.data(), bytes.size()};
  }
};

/// Reads a .npy (little-endian, C order) or .pb (TensorProto) file. Returns
/// false and sets `error` on malformed or unsupported files.
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Writes a .npy file.
bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error);

} // namespace lbc

#endif // LBC_SUPPORT_TENSORFILES_H
