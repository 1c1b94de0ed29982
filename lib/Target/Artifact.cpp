//===- Artifact.cpp - emit model.so / .o / .ll from LLVM-dialect MLIR -----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// LLVM IR translation, entry-point generation, O3, object emission and
// in-process linking with lld.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/Artifact.h"
#include "lib/Target/Ukernels.h"
#include "lib/Target/WeightObject.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

LLD_HAS_DRIVER(elf)

using namespace mlir;
using namespace mlir::lbc;

static std::string elementTypeName(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

ArtifactInfo mlir::lbc::describeFunction(func::FuncOp function) {
  ArtifactInfo info;
  info.entryFunction = function.getSymName().str();
  auto describe = [](Type type, StringAttr name, bool isUnsigned,
                     ArrayAttr dimNames, size_t index, const char *prefix) {
    TensorSignature signature;
    auto tensor = cast<RankedTensorType>(type);
    signature.name = name ? name.str() : prefix + std::to_string(index);
    signature.elementType = elementTypeName(tensor.getElementType());
    if (isUnsigned && tensor.getElementType().isSignlessInteger())
      signature.elementType[0] =
          'u'; // i8 -> u8: lbc.unsigned from the importer
    for (int64_t dim : tensor.getShape())
      signature.shape.push_back(ShapedType::isDynamic(dim) ? -1 : dim);
    signature.dimNames.resize(tensor.getRank());
    if (dimNames && dimNames.size() == signature.dimNames.size())
      for (auto [slot, attr] : llvm::zip(signature.dimNames, dimNames))
        if (auto text = dyn_cast<StringAttr>(attr))
          slot = text.str();
    return signature;
  };
  FunctionType type = function.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    info.inputs.push_back(describe(
        type.getInput(i), function.getArgAttrOfType<StringAttr>(i, "lbc.name"),
        function.getArgAttr(i, "lbc.unsigned") != nullptr,
        function.getArgAttrOfType<ArrayAttr>(i, "lbc.dims"), i, "input"));
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    info.outputs.push_back(describe(
        type.getResult(i),
        function.getResultAttrOfType<StringAttr>(i, "lbc.name"),
        function.getResultAttr(i, "lbc.unsigned") != nullptr,
        function.getResultAttrOfType<ArrayAttr>(i, "lbc.dims"), i, "output"));
  if (auto bounds =
          function->getAttrOfType<DictionaryAttr>("lbc.dim_upper_bounds"))
    for (NamedAttribute bound : bounds)
      if (auto value = dyn_cast<IntegerAttr>(bound.getValue()))
        info.dimUpperBounds.push_back({bound.getName().str(), value.getInt()});
  return info;
}

std::string mlir::lbc::formatArtifactInfo(const ArtifactInfo &info,
                                          llvm::StringRef targetDescription) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "lbc-artifact " << kArtifactAbiVersion << "\n";
  os << "lbc-version " << info.lbcVersion << "\n";
  os << "recipe " << info.recipe << "\n";
  os << "target " << targetDescription << "\n";
  auto emit = [&](const char *kind, const TensorSignature &tensor) {
    os << kind << " " << tensor.elementType << " " << tensor.shape.size();
    for (auto [dim, name] : llvm::zip(tensor.shape, tensor.dimNames)) {
      if (dim >= 0) {
        os << " " << dim;
        continue;
      }
      // A dynamic dim: "?" and its expression without spaces ("?past+1").
      std::string compact = name;
      compact.erase(std::remove(compact.begin(), compact.end(), ' '),
                    compact.end());
      os << " ?" << compact;
    }
    // The name goes last: it may contain spaces (never newlines).
    std::string name = tensor.name;
    std::replace(name.begin(), name.end(), '\n', ' ');
    os << " " << name << "\n";
  };
  for (const TensorSignature &tensor : info.inputs)
    emit("input", tensor);
  for (const TensorSignature &tensor : info.outputs)
    emit("output", tensor);
  if (info.weightElements > 0)
    os << "weights " << info.weightElements << " " << info.weightBytes << "\n";
  for (const auto &[dim, bound] : info.dimUpperBounds) {
    std::string compact = dim;
    compact.erase(std::remove(compact.begin(), compact.end(), ' '),
                  compact.end());
    os << "dim-upper-bound " << compact << " " << bound << "\n";
  }
  return text;
}

namespace {

/// The workspace of a planned model: its size and the (offset, size) of
/// each slot, in the order of the model's slot arguments.
struct WorkspaceLayout {
  uint64_t size = 0;
  std::vector<std::pair<uint64_t, uint64_t>> slots;
};

/// Registers the host's target and AArch64 (the cross target) once, with
/// their assembly parsers: micro-kernels may hold inline assembly.
static void initializeTargets() {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
    LLVMInitializeAArch64AsmParser();
    return true;
  }();
  (void)initialized;
}

/// Whether `cpu` is a processor name that `triple`'s target knows.
static bool knowsCpu(const llvm::Triple &triple, llvm::StringRef cpu) {
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  // Created for the default CPU: LLVM warns on stderr about an unknown one.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  return subtarget && subtarget->isCPUStringValid(cpu);
}

} // namespace

LogicalResult mlir::lbc::resolveTarget(const TargetSelection &target,
                                       ResolvedTarget &resolved,
                                       std::string &error) {
  initializeTargets();
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  // Artifacts are ELF shared libraries for Linux on either architecture.
  llvm::Triple x86("x86_64-unknown-linux-gnu");
  llvm::Triple aarch64("aarch64-unknown-linux-gnu");
  resolved = ResolvedTarget();
  if (target.cpu == "native") {
    resolved.triple = host.str();
    resolved.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature.first(), feature.second);
    resolved.features = featureSet.getString();
  } else if (target.cpu == "aarch64") {
    // The baseline every ARMv8-A Linux machine has: NEON, no dot product.
    resolved.triple = aarch64.str();
    resolved.cpu = "generic";
    resolved.features = "+neon";
  } else if (knowsCpu(x86, target.cpu)) {
    resolved.triple = x86.str();
    resolved.cpu = target.cpu;
  } else if (knowsCpu(aarch64, target.cpu)) {
    resolved.triple = aarch64.str();
    resolved.cpu = target.cpu;
  } else {
    error = "unknown --cpu '" + target.cpu +
            "': expected native, x86-64-v3, x86-64-v4, aarch64, or an LLVM "
            "processor name of x86_64 or AArch64 (e.g. znver4, neoverse-n1)";
    return failure();
  }
  resolved.crossCompiled =
      llvm::Triple(resolved.triple).getArch() != host.getArch();
  return success();
}

namespace {

/// Builds the TargetMachine for the requested CPU.
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const ResolvedTarget &target, std::string &error) {
  llvm::Triple triple(target.triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;
  llvm::TargetOptions options;
  // Constructors and destructors (the thread pool's shutdown) in
  // .init_array/.fini_array, the sections glibc runs (not .ctors/.dtors).
  options.UseInitArray = true;
  auto machine =
      std::unique_ptr<llvm::TargetMachine>(llvmTarget->createTargetMachine(
          triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
          std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for CPU '" + target.cpu + "'";
  return machine;
}

/// Adds the entry points of docs/runtime.md: `lbc_run(void **descriptors)`,
/// which calls the model's C interface with one memref descriptor pointer
/// per input and output; for a model with a planned workspace (see
/// lbc-plan-workspace) also `lbc_workspace_size()` and
/// `lbc_run_with_workspace(descriptors, workspace)`, with `lbc_run`
/// allocating a workspace per call; `lbc_abi_version()` and the
/// `lbc_artifact_info` string.
LogicalResult addEntryPoints(llvm::Module &module, const ArtifactInfo &info,
                             const std::optional<WorkspaceLayout> &workspace,
                             llvm::StringRef targetDescription,
                             std::string &error) {
  llvm::LLVMContext &context = module.getContext();
  std::string interfaceName = "_mlir_ciface_" + info.entryFunction;
  llvm::Function *model = module.getFunction(interfaceName);
  if (!model) {
    error = "lowered module has no '" + interfaceName + "'";
    return failure();
  }
  size_t tensors = info.inputs.size() + info.outputs.size();
  size_t expected = tensors + (workspace ? workspace->slots.size() : 0);
  if (model->arg_size() != expected) {
    error = "'" + interfaceName + "' takes " +
            std::to_string(model->arg_size()) +
            " arguments, the signature has " + std::to_string(tensors) +
            " tensors" +
            (workspace ? " and " + std::to_string(workspace->slots.size()) +
                             " workspace slots"
                       : "");
    return failure();
  }
  // Every buffer the model touches is disjoint from the others it writes:
  // workspace slots by construction, outputs from inputs and from each other
  // by the runtime's check (docs/runtime.md), and inputs are only read. So
  // each aligned pointer (parameter 1 of a memref's 3 + 2 * rank expanded
  // parameters: allocated, aligned, offset, sizes, strides) is noalias, which
  // LLVM turns into alias scopes when it inlines the model into the entry
  // points: loads of A hoist out of loops that store C.
  {
    llvm::Function *implementation = module.getFunction(info.entryFunction);
    if (!implementation) {
      error = "lowered module has no '" + info.entryFunction + "'";
      return failure();
    }
    SmallVector<size_t> alignedParameters;
    size_t parameter = 0;
    for (const auto *list : {&info.inputs, &info.outputs})
      for (const TensorSignature &tensor : *list) {
        alignedParameters.push_back(parameter + 1);
        parameter += 3 + 2 * tensor.shape.size();
      }
    if (workspace)
      for (size_t slot = 0; slot < workspace->slots.size(); ++slot) {
        alignedParameters.push_back(parameter + 1);
        parameter += 5;
      }
    if (implementation->arg_size() != parameter) {
      error = "'" + info.entryFunction + "' takes " +
              std::to_string(implementation->arg_size()) +
              " parameters, the signature expands to " +
              std::to_string(parameter);
      return failure();
    }
    for (size_t index : alignedParameters)
      implementation->addParamAttr(index, llvm::Attribute::NoAlias);
  }
  llvm::IRBuilder<> builder(context);
  llvm::Type *ptr = builder.getPtrTy();
  llvm::Type *i64 = builder.getInt64Ty();
  SmallVector<llvm::GlobalValue *> exported;
  // Calls the model with the tensor descriptors in `slots` and, when
  // planned, one memref<?xi8> descriptor per workspace slot, each a range of
  // `workspacePointer`.
  auto callModel = [&](llvm::Value *slots, llvm::Value *workspacePointer) {
    SmallVector<llvm::Value *> arguments;
    for (unsigned i = 0; i < tensors; ++i) {
      llvm::Value *slot = builder.CreateConstInBoundsGEP1_64(ptr, slots, i);
      arguments.push_back(builder.CreateLoad(ptr, slot));
    }
    if (workspace) {
      auto *arrayType = llvm::ArrayType::get(i64, 1);
      auto *descriptorType =
          llvm::StructType::get(context, {ptr, ptr, i64, arrayType, arrayType});
      for (auto [offset, size] : workspace->slots) {
        llvm::Value *base = builder.CreateConstInBoundsGEP1_64(
            builder.getInt8Ty(), workspacePointer, offset);
        llvm::Value *descriptor = builder.CreateAlloca(descriptorType);
        llvm::Value *fields[] = {base, base, builder.getInt64(0),
                                 builder.getInt64(size), builder.getInt64(1)};
        for (unsigned i = 0; i < 5; ++i) {
          SmallVector<llvm::Value *> path = {builder.getInt32(0),
                                             builder.getInt32(i)};
          if (i >= 3)
            path.push_back(builder.getInt32(0));
          builder.CreateStore(fields[i], builder.CreateInBoundsGEP(
                                             descriptorType, descriptor, path));
        }
        arguments.push_back(descriptor);
      }
    }
    builder.CreateCall(model, arguments);
  };

  auto *runType = llvm::FunctionType::get(builder.getVoidTy(), {ptr}, false);
  auto *run = llvm::Function::Create(runType, llvm::Function::ExternalLinkage,
                                     "lbc_run", module);
  exported.push_back(run);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", run));
  if (!workspace || workspace->size == 0) {
    callModel(run->getArg(0), llvm::ConstantPointerNull::get(
                                  llvm::PointerType::getUnqual(context)));
  } else {
    // A workspace per call: correct for callers that link the artifact
    // directly; the runtime keeps workspaces instead.
    llvm::FunctionCallee allocate = module.getOrInsertFunction(
        "aligned_alloc", llvm::FunctionType::get(ptr, {i64, i64}, false));
    llvm::FunctionCallee release = module.getOrInsertFunction(
        "free", llvm::FunctionType::get(builder.getVoidTy(), {ptr}, false));
    llvm::Value *memory = builder.CreateCall(
        allocate, {builder.getInt64(64), builder.getInt64(workspace->size)});
    callModel(run->getArg(0), memory);
    builder.CreateCall(release, {memory});
  }
  builder.CreateRetVoid();

  if (workspace) {
    auto *runWithWorkspace = llvm::Function::Create(
        llvm::FunctionType::get(builder.getVoidTy(), {ptr, ptr}, false),
        llvm::Function::ExternalLinkage, "lbc_run_with_workspace", module);
    exported.push_back(runWithWorkspace);
    builder.SetInsertPoint(
        llvm::BasicBlock::Create(context, "entry", runWithWorkspace));
    callModel(runWithWorkspace->getArg(0), runWithWorkspace->getArg(1));
    builder.CreateRetVoid();

    auto *size = llvm::Function::Create(llvm::FunctionType::get(i64, false),
                                        llvm::Function::ExternalLinkage,
                                        "lbc_workspace_size", module);
    exported.push_back(size);
    builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", size));
    builder.CreateRet(builder.getInt64(workspace->size));
  }

  auto *versionType = llvm::FunctionType::get(builder.getInt32Ty(), false);
  auto *version = llvm::Function::Create(
      versionType, llvm::Function::ExternalLinkage, "lbc_abi_version", module);
  exported.push_back(version);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", version));
  builder.CreateRet(builder.getInt32(kArtifactAbiVersion));

  llvm::Constant *text = llvm::ConstantDataArray::getString(
      context, formatArtifactInfo(info, targetDescription));
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "lbc_artifact_info");
  // Only the entry points are exported; everything else may be inlined away.
  for (llvm::Function &function : module)
    if (!function.isDeclaration() && !llvm::is_contained(exported, &function))
      function.setVisibility(llvm::GlobalValue::HiddenVisibility);
  return success();
}

/// Writes `data` to a temporary file next to `path`, then renames it into
/// place, so readers never see a half-written artifact.
LogicalResult
writeAtomically(llvm::StringRef path,
                function_ref<LogicalResult(llvm::StringRef)> write,
                std::string &error) {
  llvm::SmallString<256> temporary;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", temporary)) {
    error =
        "cannot create a file next to '" + path.str() + "': " + ec.message();
    return failure();
  }
  if (failed(write(temporary))) {
    llvm::sys::fs::remove(temporary);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  return success();
}

LogicalResult writeBytes(llvm::StringRef path, llvm::StringRef bytes,
                         std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  os << bytes;
  os.close();
  if (os.has_error()) {
    error = "cannot write '" + path.str() + "': " + os.error().message();
    return failure();
  }
  return success();
}

/// Constants of at least this many bytes go to the weights object; smaller
/// ones stay in LLVM IR, where the optimizer may fold them.
constexpr size_t kExternalWeightBytes = 4096;

/// Turns every large resource-initialized global of `module` (LLVM dialect)
/// into a hidden external declaration and returns the symbols with their
/// bytes, which stay owned by the MLIR context's resource blobs.
std::vector<WeightSymbol> externalizeWeights(ModuleOp module) {
  std::vector<WeightSymbol> weights;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    auto resource =
        dyn_cast_or_null<DenseResourceElementsAttr>(global.getValueOrNull());
    if (!resource || !resource.getRawHandle().getBlob())
      continue;
    ArrayRef<char> data = resource.getRawHandle().getBlob()->getData();
    if (data.size() < kExternalWeightBytes)
      continue;
    WeightSymbol weight;
    weight.name = global.getSymName().str();
    weight.data = data;
    weight.alignment =
        std::max<uint64_t>(64, global.getAlignment().value_or(1));
    weights.push_back(std::move(weight));
    global.removeValueAttr();
    global.setLinkage(LLVM::Linkage::External);
    global.setVisibility_(LLVM::Visibility::Hidden);
    global.setDsoLocal(true);
  }
  return weights;
}

/// Links `objectPaths` into the shared library `outputPath` with lld.
LogicalResult linkSharedLibrary(ArrayRef<llvm::StringRef> objectPaths,
                                llvm::StringRef outputPath, bool crossCompiled,
                                std::string &error) {
  std::string output = outputPath.str();
  std::vector<std::string> objects(objectPaths.begin(), objectPaths.end());
  std::vector<const char *> args = {
      "ld.lld", "-shared",     "--no-undefined-version", "-O1", "--as-needed",
      "-o",     output.c_str()};
  for (const std::string &object : objects)
    args.push_back(object.c_str());
  // libm provides expf/erff/... (found by CMake, for the host: a
  // cross-compiled artifact takes libm's functions from the process that
  // loads it, the runtime links libm). The thread pool is in the artifact
  // (linkUkernels); libc's pthread functions come from the process.
  if (!crossCompiled)
    args.push_back(LBC_LIBM_PATH);
  std::string messages;
  llvm::raw_string_ostream messageStream(messages);
  lld::Result result = lld::lldMain(args, messageStream, messageStream,
                                    {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0) {
    error = "linking '" + outputPath.str() + "' failed: " + messages;
    return failure();
  }
  return success();
}

} // namespace

LogicalResult mlir::lbc::emitArtifact(ModuleOp module, const ArtifactInfo &info,
                                      const TargetSelection &target,
                                      EmitKind kind,
                                      llvm::StringRef outputPath) {
  Location loc = module.getLoc();
  std::string error;
  ResolvedTarget resolved;
  if (failed(resolveTarget(target, resolved, error)))
    return emitError(loc) << error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(resolved, error);
  if (!machine)
    return emitError(loc) << error;

  // The workspace planner (lbc-plan-workspace) records its size on the
  // entry function; the attribute survives the lowering to llvm.func.
  std::optional<WorkspaceLayout> workspace;
  if (auto entry = module.lookupSymbol<LLVM::LLVMFuncOp>(info.entryFunction)) {
    auto size = entry->getAttrOfType<IntegerAttr>("lbc.workspace_size");
    auto slots = entry->getAttrOfType<DenseI64ArrayAttr>("lbc.workspace_slots");
    if (size && slots && slots.size() % 2 == 0) {
      workspace.emplace();
      workspace->size = size.getValue().getZExtValue();
      for (size_t i = 0; i < static_cast<size_t>(slots.size()); i += 2)
        workspace->slots.push_back({static_cast<uint64_t>(slots[i]),
                                    static_cast<uint64_t>(slots[i + 1])});
    }
  }

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  // A shared library gets its large constants from a separate object
  // written straight from their blobs (WeightObject.h); .ll and .o output
  // stay self-contained.
  std::vector<WeightSymbol> weights;
  if (kind == EmitKind::SharedLibrary)
    weights = externalizeWeights(module);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "lbc_model");
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  std::string targetDescription =
      machine->getTargetTriple().str() + " " + machine->getTargetCPU().str();
  if (failed(addEntryPoints(*llvmModule, info, workspace, targetDescription,
                            error)))
    return emitError(loc) << error;
  if (failed(linkUkernels(*llvmModule, *machine, error)))
    return emitError(loc) << error;

  auto optimize =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return emitError(loc) << "LLVM optimization failed: "
                          << llvm::toString(std::move(err));

  if (kind == EmitKind::LLVMIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    if (failed(writeAtomically(
            outputPath,
            [&](llvm::StringRef path) { return writeBytes(path, text, error); },
            error)))
      return emitError(loc) << error;
    return success();
  }

  llvm::SmallString<0> objectBytes;
  {
    llvm::raw_svector_ostream os(objectBytes);
    llvm::legacy::PassManager passes;
    if (machine->addPassesToEmitFile(passes, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "the target cannot emit object files";
    passes.run(*llvmModule);
  }
  auto writeObject = [&](llvm::StringRef path) {
    return writeBytes(path, objectBytes, error);
  };
  if (kind == EmitKind::Object) {
    if (failed(writeAtomically(outputPath, writeObject, error)))
      return emitError(loc) << error;
    return success();
  }
  // Temporary files, removed on every way out.
  llvm::SmallString<256> objectPath, weightsPath, linkedPath;
  llvm::scope_exit removeTemporaries([&] {
    for (llvm::StringRef path : {objectPath, weightsPath, linkedPath})
      if (!path.empty())
        llvm::sys::fs::remove(path);
  });
  auto temporaryFile = [&](llvm::StringRef prefix, llvm::StringRef suffix,
                           llvm::SmallString<256> &path) -> LogicalResult {
    int fd;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile(prefix, suffix, fd, path))
      return emitError(loc)
             << "cannot create a temporary file: " << ec.message();
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    return success();
  };
  if (failed(temporaryFile("lbc-model", "o", objectPath)))
    return failure();
  if (failed(writeObject(objectPath)))
    return emitError(loc) << error;
  // Without large constants the code object is the whole library.
  llvm::SmallVector<llvm::StringRef, 2> inputs = {objectPath};
  if (!weights.empty()) {
    // The weights object only declares the section (NOBITS); its bytes are
    // inserted into the linked library (WeightObject.h).
    if (failed(temporaryFile("lbc-weights", "o", weightsPath)) ||
        failed(temporaryFile("lbc-linked", "so", linkedPath)))
      return failure();
    if (!writeWeightObject(weightsPath, machine->getTargetTriple(), weights,
                           error))
      return emitError(loc) << error;
    inputs.push_back(weightsPath);
  }
  if (failed(writeAtomically(
          outputPath,
          [&](llvm::StringRef path) -> LogicalResult {
            if (weights.empty())
              return linkSharedLibrary(inputs, path, resolved.crossCompiled,
                                       error);
            return success(
                succeeded(linkSharedLibrary(inputs, linkedPath,
                                            resolved.crossCompiled, error)) &&
                fillWeightSection(linkedPath, path, weights, error));
          },
          error)))
    return emitError(loc) << error;
  return success();
}
