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

/// Where each weight goes in `.lbc.weights`: its offset (at its alignment),
/// the section's size and alignment (at least 64).
struct WeightLayout {
  std::vector<uint64_t> offsets;
  uint64_t size = 0;
  uint64_t alignment = 64;
};
WeightLayout layOutWeights(const std::vector<WeightSymbol> &weights);

/// Writes an ELF64 relocatable object for `triple` (x86-64 or AArch64,
/// little-endian) with one read-only SHT_NOBITS section `.lbc.weights` of the
/// weights' total size, each weight a hidden global object symbol at its
/// layOutWeights offset, and the exported symbols `lbc_weights_begin` and
/// `lbc_weights_end` at the section's start and end. The bytes are not in the object: link it, then
/// fillWeightSection. Returns false with `error` set on I/O failure or an
/// unsupported triple.
bool writeWeightObject(llvm::StringRef path, const llvm::Triple &triple,
                       const std::vector<WeightSymbol> &weights,
                       std::string &error);

/// Copies the shared library `linkedPath` (linked with writeWeightObject's
/// object) to `outputPath` with the weights' bytes in `.lbc.weights`: the
/// section becomes PROGBITS at the end of the file image of the read-only
/// load segment that the linker ended with it, and everything after moves
/// by a multiple of the largest segment alignment (addresses do not change).
/// Returns false with `error` set on I/O failure or a layout it does not
/// recognize.
bool fillWeightSection(llvm::StringRef linkedPath, llvm::StringRef outputPath,
                       const std::vector<WeightSymbol> &weights,
                       std::string &error);

} // namespace mlir::lbc

#endif // LBC_LIB_TARGET_WEIGHTOBJECT_H
