//===- WeightBlobs.cpp - reading and writing weight blobs -----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Converts between MLIR constant attributes and packed weight bytes.
//
//===----------------------------------------------------------------------===//

#include "passes/Quant/WeightBlobs.h"

#include "lib/Support/Gptq.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/StringSet.h"

#include <cstring>

using namespace mlir;
using namespace mlir::lbc;
using lowbit::GroupwiseEncodingAttr;
using lowbit::PackedWeightType;

/// Blobs are aligned for the widest SIMD load (one cache line).
static constexpr size_t kBlobAlignment = ::lbc::kSectionAlignment;

FailureOr<F32Elements> mlir::lbc::readF32Elements(ElementsAttr value,
                                                  Location loc) {
  F32Elements elements;
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(value)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data)
      return emitError(loc, "weight blob '")
             << resource.getRawHandle().getKey()
             << "' has no data (elided or missing resource)";
    if (static_cast<int64_t>(data->size()) != resource.getNumElements())
      return emitError(loc, "weight blob '")
             << resource.getRawHandle().getKey() << "' holds " << data->size()
             << " floats, its type needs " << resource.getNumElements();
    elements.values = *data;
    return elements;
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || !dense.getElementType().isF32())
    return emitError(loc, "expected an f32 dense or dense_resource constant, "
                          "got ")
           << value;
  auto range = dense.getValues<float>();
  elements.storage.assign(range.begin(), range.end());
  elements.values = elements.storage;
  return elements;
}

/// Rows x columns of a weight whose groups run along the last dimension.
static std::pair<int64_t, int64_t> rowsAndColumns(RankedTensorType type) {
  int64_t columns = type.getShape().back();
  return {type.getNumElements() / columns, columns};
}

/// Whether a codec knows `type`'s encoding; emits an error at `loc` if not.
static LogicalResult checkCodec(PackedWeightType type, Location loc) {
  if (isa<GroupwiseEncodingAttr, lowbit::KQuantEncodingAttr,
          lowbit::Nf4EncodingAttr>(type.getEncoding()))
    return success();
  return emitError(loc, "no codec for weight encoding ") << type.getEncoding();
}

FailureOr<DenseResourceElementsAttr>
mlir::lbc::packWeights(ArrayRef<float> values, PackedWeightType packedType,
                       Location loc, ::lbc::FitMethod fit, ArrayRef<float> gram,
                       ArrayRef<float> importance,
                       const ::lbc::GptqOptions &gptq) {
  if (failed(checkCodec(packedType, loc)))
    return failure();
  RankedTensorType logicalType = packedType.getLogicalType();
  if (static_cast<int64_t>(values.size()) != logicalType.getNumElements())
    return emitError(loc, "weight has ")
           << values.size() << " values, " << logicalType << " needs "
           << logicalType.getNumElements();
  auto [rows, columns] = rowsAndColumns(logicalType);
  int64_t byteSize = packedType.getPackedByteSize();
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(byteSize, kBlobAlignment);
  auto *bytes = reinterpret_cast<uint8_t *>(blob.getMutableData().data());
  ::lbc::CodecStatus status;
  if (auto kquant =
          dyn_cast<lowbit::KQuantEncodingAttr>(packedType.getEncoding()))
    status = ::lbc::quantizeKQuant(
        kquant.toFormat(), values.data(), rows, columns,
        static_cast<int64_t>(importance.size()) == columns ? importance.data()
                                                           : nullptr,
        bytes);
  else if (auto nf4 =
               dyn_cast<lowbit::Nf4EncodingAttr>(packedType.getEncoding()))
    status =
        ::lbc::quantizeNf4(nf4.toFormat(), values.data(), rows, columns, bytes);
  else if (!gram.empty()) {
    if (static_cast<int64_t>(gram.size()) != columns * columns)
      return emitError(loc, "GPTQ statistics hold ")
             << gram.size() << " values, a weight of " << columns
             << " inputs needs " << columns * columns;
    std::string error;
    status = ::lbc::quantizeGptq(
        cast<GroupwiseEncodingAttr>(packedType.getEncoding()).toFormat(),
        values.data(), rows, columns, gram.data(), gptq, bytes, error);
    if (status != ::lbc::CodecStatus::Ok && !error.empty())
      return emitError(loc, "GPTQ: ") << error;
  } else
    status = ::lbc::quantizeGroupwise(
        cast<GroupwiseEncodingAttr>(packedType.getEncoding()).toFormat(), fit,
        values.data(), rows, columns, bytes);
  switch (status) {
  case ::lbc::CodecStatus::Ok:
    break;
  case ::lbc::CodecStatus::NonFiniteInput:
    return emitError(loc, "cannot quantize a weight with NaN or infinite "
                          "values");
  case ::lbc::CodecStatus::NonFiniteScale:
    if (auto groupwise =
            dyn_cast<GroupwiseEncodingAttr>(packedType.getEncoding()))
      return emitError(loc, "weight magnitudes overflow the scale type ")
             << groupwise.getScaleType() << " of " << groupwise;
    return emitError(loc, "weight magnitudes overflow the f16 super-block "
                          "scales of ")
           << packedType.getEncoding();
  }
  auto blobType =
      RankedTensorType::get({byteSize}, IntegerType::get(loc.getContext(), 8));
  return DenseResourceElementsAttr::get(blobType, "lbc_packed_weight",
                                        std::move(blob));
}

FailureOr<DenseResourceElementsAttr>
mlir::lbc::unpackWeights(lowbit::ConstantOp constant) {
  Location loc = constant.getLoc();
  PackedWeightType packedType = constant.getType();
  if (failed(checkCodec(packedType, loc)))
    return failure();
  RankedTensorType logicalType = packedType.getLogicalType();
  if (!logicalType.getElementType().isF32())
    return constant.emitOpError("can only be decoded to f32 today, logical "
                                "type is ")
           << logicalType;
  auto resource = cast<DenseResourceElementsAttr>(constant.getValue());
  AsmResourceBlob *packedBlob = resource.getRawHandle().getBlob();
  if (!packedBlob)
    return constant.emitOpError("blob '")
           << resource.getRawHandle().getKey()
           << "' has no data (elided or missing resource)";
  ArrayRef<char> packed = packedBlob->getData();
  if (static_cast<int64_t>(packed.size()) != packedType.getPackedByteSize())
    return constant.emitOpError("blob holds ")
           << packed.size() << " bytes, expected "
           << packedType.getPackedByteSize();
  auto [rows, columns] = rowsAndColumns(logicalType);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      logicalType.getNumElements() * sizeof(float), kBlobAlignment);
  const auto *bytes = reinterpret_cast<const uint8_t *>(packed.data());
  auto *values = reinterpret_cast<float *>(blob.getMutableData().data());
  if (auto kquant =
          dyn_cast<lowbit::KQuantEncodingAttr>(packedType.getEncoding()))
    ::lbc::dequantizeKQuant(kquant.toFormat(), bytes, rows, columns, values);
  else if (auto nf4 =
               dyn_cast<lowbit::Nf4EncodingAttr>(packedType.getEncoding()))
    ::lbc::dequantizeNf4(nf4.toFormat(), bytes, rows, columns, values);
  else
    ::lbc::dequantize(
        cast<GroupwiseEncodingAttr>(packedType.getEncoding()).toFormat(), bytes,
        rows, columns, values);
  return DenseResourceElementsAttr::get(logicalType, "lbc_dequantized_weight",
                                        std::move(blob));
}

DenseResourceElementsAttr mlir::lbc::makeF32Resource(RankedTensorType type,
                                                     ArrayRef<float> values,
                                                     llvm::StringRef name) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      values.size() * sizeof(float), kBlobAlignment);
  std::memcpy(blob.getMutableData().data(), values.data(),
              values.size() * sizeof(float));
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

arith::ConstantOp mlir::lbc::constantF32Weight(lowbit::LinearOp linear) {
  auto constant = linear.getWeight().getDefiningOp<arith::ConstantOp>();
  auto type = constant ? dyn_cast<RankedTensorType>(constant.getType())
                       : RankedTensorType();
  return type && type.getElementType().isF32() && type.getRank() == 2
             ? constant
             : arith::ConstantOp();
}

void mlir::lbc::noteTransform(Operation *op, llvm::StringRef what) {
  Builder b(op->getContext());
  SmallVector<Attribute> notes;
  if (auto existing = op->getAttrOfType<ArrayAttr>("lbc.transforms"))
    notes.append(existing.begin(), existing.end());
  notes.push_back(b.getStringAttr(what));
  op->setAttr("lbc.transforms", b.getArrayAttr(notes));
}

FailureOr<std::vector<float>>
mlir::lbc::readF32Values(arith::ConstantOp constant) {
  FailureOr<F32Elements> values = readF32Elements(
      cast<ElementsAttr>(constant.getValue()), constant.getLoc());
  if (failed(values))
    return failure();
  return std::vector<float>(values->values.begin(), values->values.end());
}

void mlir::lbc::replaceF32Constant(OpOperand &operand, arith::ConstantOp old,
                                   ArrayRef<float> values, llvm::StringRef name,
                                   Operation *before) {
  OpBuilder b(before);
  operand.set(arith::ConstantOp::create(
      b, old.getLoc(),
      makeF32Resource(cast<RankedTensorType>(old.getType()), values, name)));
}

void mlir::lbc::releaseUnusedWeightBlobs(
    ModuleOp module, ArrayRef<DenseResourceElementsAttr> candidates) {
  if (candidates.empty())
    return;
  llvm::StringSet<> used;
  module->walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
      used.insert(attr.getRawHandle().getKey());
    });
  });
  for (DenseResourceElementsAttr attr : candidates) {
    DenseResourceElementsHandle handle = attr.getRawHandle();
    if (used.contains(handle.getKey()))
      continue;
    // An empty blob in its place runs the old one's deleter.
    if (AsmResourceBlob *blob = handle.getBlob())
      *blob = AsmResourceBlob();
  }
}
