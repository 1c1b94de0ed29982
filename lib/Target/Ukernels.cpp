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
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <optional>

extern "C" const char lbc_ukernel_bitcode_x86_64_begin[];
extern "C" const char lbc_ukernel_bitcode_x86_64_end[];
extern "C" const char lbc_ukernel_bitcode_aarch64_begin[];
extern "C" const char lbc_ukernel_bitcode_aarch64_end[];

using namespace mlir;

namespace {

/// Joins the thread pool's workers (runtime/cpu/pool/ThreadPool.cpp).
constexpr llvm::StringLiteral kThreadPoolShutdownSymbol =
    "lbc_thread_pool_shutdown";
/// The memref lowering's allocation functions (`use-generic-functions`),
/// which the buffer cache defines (runtime/cpu/memory/BufferCache.cpp), and
/// its destructor.
constexpr llvm::StringLiteral kAllocationPrefix = "_mlir_memref_to_llvm_";
constexpr llvm::StringLiteral kBufferCacheReleaseSymbol =
    "lbc_buffer_cache_release";

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
constexpr UkernelVariant kAArch64Variants[] = {
    {"__dotprod", "+neon,+dotprod"},
};

/// The embedded bitcode and the variants for one architecture.
struct UkernelLibrary {
  const char *begin, *end;
  llvm::ArrayRef<UkernelVariant> variants;
};

std::optional<UkernelLibrary> libraryFor(const llvm::Triple &triple) {
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    return UkernelLibrary{lbc_ukernel_bitcode_x86_64_begin,
                          lbc_ukernel_bitcode_x86_64_end, kX86Variants};
  case llvm::Triple::aarch64:
    return UkernelLibrary{lbc_ukernel_bitcode_aarch64_begin,
                          lbc_ukernel_bitcode_aarch64_end, kAArch64Variants};
  default:
    return std::nullopt;
  }
}

/// Renames, in `kernels`, the best variant of `name` for `machine` to
/// `name` (dropping the portable definition it replaces).
void selectVariant(llvm::Module &kernels, llvm::StringRef name,
                   llvm::ArrayRef<UkernelVariant> variants,
                   const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  for (const UkernelVariant &variant : variants) {
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
  bool parallel = false, allocates = false;
  for (llvm::Function &function : module) {
    if (!function.isDeclaration())
      continue;
    bool entry = function.getName().starts_with(kOpenMPEntryPrefix);
    bool allocation = function.getName().starts_with(kAllocationPrefix);
    if (entry || allocation || function.getName().starts_with(kUkernelPrefix))
      declared.push_back(function.getName().str());
    parallel |= entry;
    allocates |= allocation;
  }
  if (declared.empty())
    return success();
  // The functions of the thread pool and the buffer cache that no
  // generated code calls: declared here so that linking brings them along.
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *voidType = llvm::Type::getVoidTy(context);
  if (parallel) {
    module.getOrInsertFunction(kSetNumThreadsSymbol, voidType,
                               llvm::Type::getInt32Ty(context));
    module.getOrInsertFunction(kThreadPoolShutdownSymbol, voidType);
  }
  if (allocates)
    module.getOrInsertFunction(kBufferCacheReleaseSymbol, voidType);
  std::optional<UkernelLibrary> library = libraryFor(module.getTargetTriple());
  if (!library) {
    error = "microkernels exist for x86_64 and aarch64 only; '" +
            declared.front() + "' is called on " +
            module.getTargetTriple().str();
    return failure();
  }
  llvm::StringRef bytes(library->begin, library->end - library->begin);
  llvm::Expected<std::unique_ptr<llvm::Module>> kernels =
      llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, "lbc-ukernels"),
                             module.getContext());
  if (!kernels) {
    error = "cannot read the embedded microkernel bitcode: " +
            llvm::toString(kernels.takeError());
    return failure();
  }
  for (const std::string &name : declared)
    selectVariant(**kernels, name, library->variants, machine);
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
    // One call per block of outputs (per buffer): inlining gains nothing,
    // and a kernel that stays a function shows up by name in profiles and
    // in nm.
    if (!llvm::StringRef(name).starts_with(kOpenMPEntryPrefix))
      function->addFnAttr(llvm::Attribute::NoInline);
  }
  if (parallel) {
    llvm::Function *setThreads = module.getFunction(kSetNumThreadsSymbol);
    llvm::Function *shutdown = module.getFunction(kThreadPoolShutdownSymbol);
    if (!setThreads || setThreads->isDeclaration() || !shutdown ||
        shutdown->isDeclaration()) {
      error = "no thread pool in this build's microkernel bitcode";
      return failure();
    }
    setThreads->setVisibility(llvm::GlobalValue::DefaultVisibility);
    shutdown->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::appendToGlobalDtors(module, shutdown, /*Priority=*/65535);
  }
  if (allocates) {
    llvm::Function *cacheRelease =
        module.getFunction(kBufferCacheReleaseSymbol);
    if (!cacheRelease || cacheRelease->isDeclaration()) {
      error = "no buffer cache in this build's microkernel bitcode";
      return failure();
    }
    cacheRelease->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::appendToGlobalDtors(module, cacheRelease, /*Priority=*/65535);
  }
  return success();
}
