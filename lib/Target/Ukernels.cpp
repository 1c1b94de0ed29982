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

/// Runtime support that the bitcode defines beside the kernels, linked when
/// a module calls a function with `prefix`. `destructor` (never called by
/// generated code) comes along and runs when the artifact is unloaded;
/// `exported`, if any, takes an i32 and stays visible for the runtime.
struct SupportLibrary {
  llvm::StringLiteral prefix, destructor, exported, name;
};
constexpr SupportLibrary kSupportLibraries[] = {
    // runtime/cpu/pool/ThreadPool.cpp: the OpenMP entry points of parallel
    // loops; its destructor joins the workers.
    {lbc::kOpenMPEntryPrefix, "lbc_thread_pool_shutdown",
     lbc::kSetNumThreadsSymbol, "thread pool"},
    // runtime/cpu/memory/BufferCache.cpp: the memref lowering's allocation
    // functions (`use-generic-functions`); its destructor frees the cache.
    {"_mlir_memref_to_llvm_", "lbc_buffer_cache_release", "", "buffer cache"},
};

/// CPU-specific implementations of a kernel are named `NAME__SUFFIX` in the
/// bitcode; the first whose features the target has replaces NAME.
struct UkernelVariant {
  llvm::StringLiteral suffix;
  llvm::StringLiteral features;
};
constexpr UkernelVariant kX86Variants[] = {
    {"__avx512vnni", "+avx512f,+avx512bw,+avx512vl,+avx512vnni"},
    // The one-row f32-input kernels: 16-bit integer (VNNI) and bf16 dot
    // products, VBMI's byte shifts (every CPU with AVX512-BF16 also has
    // VNNI, and all but Cooper Lake VBMI).
    {"__avx512bf16",
     "+avx512f,+avx512bw,+avx512vl,+avx512bf16,+avx512vnni,+avx512vbmi"},
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
  SmallVector<const SupportLibrary *> supports;
  for (llvm::Function &function : module) {
    if (!function.isDeclaration())
      continue;
    llvm::StringRef name = function.getName();
    bool support = false;
    for (const SupportLibrary &library : kSupportLibraries)
      if (name.starts_with(library.prefix)) {
        support = true;
        if (!llvm::is_contained(supports, &library))
          supports.push_back(&library);
      }
    if (support || name.starts_with(kUkernelPrefix))
      declared.push_back(name.str());
  }
  if (declared.empty())
    return success();
  // The support functions that no generated code calls: declared here so
  // that linking brings them along.
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *voidType = llvm::Type::getVoidTy(context);
  for (const SupportLibrary *support : supports) {
    module.getOrInsertFunction(support->destructor, voidType);
    if (!support->exported.empty())
      module.getOrInsertFunction(support->exported, voidType,
                                 llvm::Type::getInt32Ty(context));
  }
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
    if (!llvm::StringRef(name).starts_with(lbc::kOpenMPEntryPrefix))
      function->addFnAttr(llvm::Attribute::NoInline);
  }
  for (const SupportLibrary *support : supports) {
    llvm::Function *destructor = module.getFunction(support->destructor);
    llvm::Function *exported = support->exported.empty()
                                   ? nullptr
                                   : module.getFunction(support->exported);
    if (!destructor || destructor->isDeclaration() ||
        (!support->exported.empty() &&
         (!exported || exported->isDeclaration()))) {
      error = ("no " + support->name + " in this build's microkernel bitcode")
                  .str();
      return failure();
    }
    destructor->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::appendToGlobalDtors(module, destructor, /*Priority=*/65535);
    if (exported)
      exported->setVisibility(llvm::GlobalValue::DefaultVisibility);
  }
  return success();
}
