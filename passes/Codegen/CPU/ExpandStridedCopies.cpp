//===- ExpandStridedCopies.cpp - strided memref.copy to linalg.copy -------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Keeps artifacts free of MLIR runtime-library calls by expanding copies that
// the LLVM lowering cannot turn into memcpy.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::lbc {
#define GEN_PASS_DEF_EXPANDSTRIDEDCOPIESPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

/// Whether the memcpy lowering of memref.copy applies: it needs static,
/// contiguous row-major buffers (anything else calls memrefCopy).
bool lowersToMemcpy(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  return type.hasStaticShape() &&
         (type.getLayout().isIdentity() ||
          type.areTrailingDimsContiguous(type.getRank()));
}

struct ExpandStridedCopiesPass
    : public mlir::lbc::impl::ExpandStridedCopiesPassBase<
          ExpandStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!lowersToMemcpy(copy.getSource()) ||
          !lowersToMemcpy(copy.getTarget()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
