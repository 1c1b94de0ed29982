//===- Ukernels.cpp - link microkernel bitcode into a model ---------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/Ukernels.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

extern "C" const char lbc_ukernel_bitcode_x86_64_begin[];
extern "C" const char lbc_ukernel_bitcode_x86_64_end[];

using namespace mlir;

namespace {

/// CPU-specific implementations of a kernel are named `NAME__SUFFIX` in the
/// bitcode; the first whose features the target has replaces NAME.
struct UkernelVariant {
  llvm::StringLiteral suffix;
  llvm::StringLiteral features;
};
constexpr UkernelVariant kX86Variants[] = {
    {"__avx512vnni", "+avx512f,+avx512bw,+avx512vl,+avx512vnni"},
    {"__avx512", "+avx512f"},
};

/// Renames, in `kernels`, the best variant of `name` for `machine` to
/// `name` (dropping the portable definition it replaces).
void selectVariant(llvm::Module &kernels, llvm::StringRef name,
                   const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  for (const UkernelVariant &variant : kX86Variants) {
    llvm::Function *specific =
        kernels.getFunction((name + variant.suffix).str());
    if (!specific || !subtarget->checkFeatures(variant.features.str()))
      continue;
    if (llvm::Function *portable = kernels.getFunction(name)) {
      portable->setName(name + "__portable");
      portable->setLinkage(llvm::GlobalValue::InternalLinkage);
    }
    specific->setName(name);
    return;
  }
}

} // namespace

LogicalResult mlir::lbc::linkUkernels(llvm::Module &module,
                                      const llvm::TargetMachine &machine,
                                      std::string &error) {
  SmallVector<std::string> declared;
  for (llvm::Function &function : module)
    if (function.isDeclaration() &&
        function.getName().starts_with(kUkernelPrefix))
      declared.push_back(function.getName().str());
  if (declared.empty())
    return success();
  if (module.getTargetTriple().getArch() != llvm::Triple::x86_64) {
    error = "microkernels exist for x86_64 only; '" + declared.front() +
            "' is called on " + module.getTargetTriple().str();
    return failure();
  }
  llvm::StringRef bytes(lbc_ukernel_bitcode_x86_64_begin,
                        lbc_ukernel_bitcode_x86_64_end -
                            lbc_ukernel_bitcode_x86_64_begin);
  llvm::Expected<std::unique_ptr<llvm::Module>> kernels =
      llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, "lbc-ukernels"),
                             module.getContext());
  if (!kernels) {
    error = "cannot read the embedded microkernel bitcode: " +
            llvm::toString(kernels.takeError());
    return failure();
  }
  for (const std::string &name : declared)
    selectVariant(**kernels, name, machine);
  (*kernels)->setTargetTriple(module.getTargetTriple());
  (*kernels)->setDataLayout(module.getDataLayout());
  for (llvm::Function &function : **kernels) {
    // The kernels are target-independent vector code: the artifact's CPU
    // (its target machine) decides the instructions.
    function.removeFnAttr("target-cpu");
    function.removeFnAttr("target-features");
    function.removeFnAttr("tune-cpu");
  }
  if (llvm::Linker::linkModules(module, std::move(*kernels),
                                llvm::Linker::LinkOnlyNeeded)) {
    error = "linking the microkernel bitcode failed";
    return failure();
  }
  for (const std::string &name : declared) {
    llvm::Function *function = module.getFunction(name);
    if (!function || function->isDeclaration()) {
      error = "no microkernel '" + name + "' in this build";
      return failure();
    }
    function->setLinkage(llvm::GlobalValue::InternalLinkage);
    // One call per block of outputs: inlining gains nothing, and a kernel
    // that stays a function shows up by name in profiles and in nm.
    function->addFnAttr(llvm::Attribute::NoInline);
  }
  return success();
}
