//===- WeightObject.h - weights as a relocatable object ---------*- C++ -*-===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Writes a model's large constants straight from their memory (mmapped ONNX
// data or resource blobs) into an ELF relocatable object, so that weights
// never pass through LLVM IR constants or an in-memory object buffer.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_TARGET_WEIGHTOBJECT_H
#define LBC_LIB_TARGET_WEIGHTOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::lbc {

/// One constant: the symbol the code refers to and its bytes.
struct WeightSymbol {
  std::string name;
  llvm::ArrayRef<char> data;
  uint64_t alignment = 64;
};

/// Writes an ELF64 relocatable object for `triple` (x86-64 or AArch64,
/// little-endian) with one read-only section `.lbc.weights` holding every
/// weight at its alignment, each a hidden global object symbol. Returns false
/// with `error` set on I/O failure or an unsupported triple.
bool writeWeightObject(llvm::StringRef path, const llvm::Triple &triple,
                       const std::vector<WeightSymbol> &weights,
                       std::string &error);

} // namespace mlir::lbc

#endif // LBC_LIB_TARGET_WEIGHTOBJECT_H
