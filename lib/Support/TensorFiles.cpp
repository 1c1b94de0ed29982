//===- TensorFiles.cpp - .npy and ONNX TensorProto files ------------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Minimal, strict readers and writers: anything unexpected is an error.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/TensorFiles.h"

// A runtime-only build (LBC_RUNTIME_ONLY, e.g. the aarch64 cross build)
// has no protobuf: it reads .npy only.
#if LBC_WITH_ONNX_PROTO
#include <onnx/onnx_pb.h>
#endif

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace lbc;

namespace {

bool readFile(const std::string &path, std::string &contents,
              std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  contents.assign(std::istreambuf_iterator<char>(file), {});
  return true;
}

const char *npyDescr(lbc_dtype dtype) {
  switch (dtype) {
  case LBC_DTYPE_F32:
    return "<f4";
  case LBC_DTYPE_F16:
    return "<f2";
  case LBC_DTYPE_F64:
    return "<f8";
  case LBC_DTYPE_I64:
    return "<i8";
  case LBC_DTYPE_I32:
    return "<i4";
  case LBC_DTYPE_I16:
    return "<i2";
  case LBC_DTYPE_I8:
    return "|i1";
  case LBC_DTYPE_BOOL:
    return "|b1";
  case LBC_DTYPE_BF16: // numpy has no bfloat16: its bits, as ONNX's own
                       // test data stores them
  case LBC_DTYPE_U16:
    return "<u2";
  case LBC_DTYPE_U8:
    return "|u1";
  case LBC_DTYPE_U32:
    return "<u4";
  case LBC_DTYPE_U64:
    return "<u8";
  }
  return nullptr;
}

bool readNpy(const std::string &path, const std::string &data,
             HostTensor &tensor, std::string &error) {
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint8_t major = static_cast<uint8_t>(data[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<uint8_t>(data[8]) |
                   (static_cast<size_t>(static_cast<uint8_t>(data[9])) << 8);
    headerStart = 10;
  } else {
    if (data.size() < 12) {
      error = "'" + path + "': truncated header";
      return false;
    }
    uint32_t length;
    std::memcpy(&length, data.data() + 8, 4);
    headerLength = length;
    headerStart = 12;
  }
  if (headerStart + headerLength > data.size()) {
    error = "'" + path + "': truncated header";
    return false;
  }
  std::string header = data.substr(headerStart, headerLength);
  auto field = [&](const std::string &key) -> std::string {
    size_t at = header.find("'" + key + "'");
    if (at == std::string::npos)
      return {};
    size_t colon = header.find(':', at);
    return colon == std::string::npos ? std::string()
                                      : header.substr(colon + 1);
  };
  std::string descr = field("descr");
  size_t quote = descr.find('\'');
  descr =
      quote == std::string::npos
          ? std::string()
          : descr.substr(quote + 1, descr.find('\'', quote + 1) - quote - 1);
  if (field("fortran_order").find("True") == 0 ||
      field("fortran_order").find(" True") == 0) {
    error = "'" + path + "': Fortran-order arrays are not supported";
    return false;
  }
  static const std::pair<const char *, lbc_dtype> descrs[] = {
      {"<f4", LBC_DTYPE_F32}, {"<f2", LBC_DTYPE_F16},  {"<f8", LBC_DTYPE_F64},
      {"<i8", LBC_DTYPE_I64}, {"<i4", LBC_DTYPE_I32},  {"<i2", LBC_DTYPE_I16},
      {"|i1", LBC_DTYPE_I8},  {"|b1", LBC_DTYPE_BOOL}, {"|u1", LBC_DTYPE_U8},
      {"<u2", LBC_DTYPE_U16}, {"<u4", LBC_DTYPE_U32},  {"<u8", LBC_DTYPE_U64}};
  bool known = false;
  for (const auto &[name, dtype] : descrs)
    if (descr == name) {
      tensor.dtype = dtype;
      known = true;
    }
  if (!known) {
    error = "'" + path + "': unsupported dtype '" + descr + "'";
    return false;
  }
  std::string shapeText = field("shape");
  size_t open = shapeText.find('('), close = shapeText.find(')');
  if (open == std::string::npos || close == std::string::npos) {
    error = "'" + path + "': no shape in header";
    return false;
  }
  std::stringstream dims(shapeText.substr(open + 1, close - open - 1));
  tensor.shape.clear();
  std::string item;
  while (std::getline(dims, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos)
      tensor.shape.push_back(std::stoll(item));
  size_t elements = 1;
  for (int64_t dim : tensor.shape)
    elements *= static_cast<size_t>(dim);
  size_t bytes = elements * lbc_dtype_size(tensor.dtype);
  size_t dataStart = headerStart + headerLength;
  if (data.size() - dataStart != bytes) {
    error = "'" + path + "' holds " + std::to_string(data.size() - dataStart) +
            " data bytes, its shape needs " + std::to_string(bytes);
    return false;
  }
  tensor.bytes.assign(data.begin() + dataStart, data.end());
  return true;
}

#if LBC_WITH_ONNX_PROTO
bool readTensorProto(const std::string &path, const std::string &data,
                     HostTensor &tensor, std::string &error) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(data)) {
    error = "'" + path + "' is not an ONNX TensorProto";
    return false;
  }
  tensor.shape.assign(proto.dims().begin(), proto.dims().end());
  size_t elements = 1;
  for (int64_t dim : tensor.shape)
    elements *= static_cast<size_t>(dim);
  auto fromTyped = [&](const auto &field, auto element) {
    using T = decltype(element);
    tensor.bytes.resize(field.size() * sizeof(T));
    for (int i = 0; i < field.size(); ++i) {
      T value = static_cast<T>(field.Get(i));
      std::memcpy(tensor.bytes.data() + i * sizeof(T), &value, sizeof(T));
    }
  };
  switch (proto.data_type()) {
  case onnx::TensorProto::FLOAT:
    tensor.dtype = LBC_DTYPE_F32;
    fromTyped(proto.float_data(), float());
    break;
  case onnx::TensorProto::DOUBLE:
    tensor.dtype = LBC_DTYPE_F64;
    fromTyped(proto.double_data(), double());
    break;
  case onnx::TensorProto::INT64:
    tensor.dtype = LBC_DTYPE_I64;
    fromTyped(proto.int64_data(), int64_t());
    break;
  case onnx::TensorProto::INT32:
    tensor.dtype = LBC_DTYPE_I32;
    fromTyped(proto.int32_data(), int32_t());
    break;
  case onnx::TensorProto::INT16:
    tensor.dtype = LBC_DTYPE_I16;
    fromTyped(proto.int32_data(), int16_t());
    break;
  case onnx::TensorProto::INT8:
    tensor.dtype = LBC_DTYPE_I8;
    fromTyped(proto.int32_data(), int8_t());
    break;
  case onnx::TensorProto::BOOL:
    tensor.dtype = LBC_DTYPE_BOOL;
    fromTyped(proto.int32_data(), uint8_t());
    break;
  case onnx::TensorProto::FLOAT16:
    tensor.dtype = LBC_DTYPE_F16;
    fromTyped(proto.int32_data(), uint16_t());
    break;
  case onnx::TensorProto::BFLOAT16:
    tensor.dtype = LBC_DTYPE_BF16;
    fromTyped(proto.int32_data(), uint16_t());
    break;
  case onnx::TensorProto::UINT8:
    tensor.dtype = LBC_DTYPE_U8;
    fromTyped(proto.int32_data(), uint8_t());
    break;
  case onnx::TensorProto::UINT16:
    tensor.dtype = LBC_DTYPE_U16;
    fromTyped(proto.int32_data(), uint16_t());
    break;
  case onnx::TensorProto::UINT32:
    tensor.dtype = LBC_DTYPE_U32;
    fromTyped(proto.uint64_data(), uint32_t());
    break;
  case onnx::TensorProto::UINT64:
    tensor.dtype = LBC_DTYPE_U64;
    fromTyped(proto.uint64_data(), uint64_t());
    break;
  default:
    error = "'" + path + "': unsupported TensorProto data type " +
            std::to_string(proto.data_type());
    return false;
  }
  if (proto.has_raw_data())
    tensor.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
  if (tensor.bytes.size() != elements * lbc_dtype_size(tensor.dtype)) {
    error = "'" + path + "' holds " + std::to_string(tensor.bytes.size()) +
            " data bytes, its shape needs " +
            std::to_string(elements * lbc_dtype_size(tensor.dtype));
    return false;
  }
  return true;
}
#else
bool readTensorProto(const std::string &path, const std::string &, HostTensor &,
                     std::string &error) {
  error = "'" + path +
          "': this lbc-run was built without ONNX protobuf support "
          "(a runtime-only build); convert the input to .npy";
  return false;
}
#endif

} // namespace

bool lbc::readTensorFile(const std::string &path, HostTensor &tensor,
                         std::string &error) {
  std::string data;
  if (!readFile(path, data, error))
    return false;
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
    return readNpy(path, data, tensor, error);
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".pb") == 0)
    return readTensorProto(path, data, tensor, error);
  error = "'" + path + "': expected a .npy or .pb file";
  return false;
}

bool lbc::writeNpy(const std::string &path, const HostTensor &tensor,
                   std::string &error) {
  const char *descr = npyDescr(tensor.dtype);
  if (!descr) {
    error = std::string("cannot write dtype ") + lbc_dtype_name(tensor.dtype) +
            " as .npy";
    return false;
  }
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t dim : tensor.shape)
    header += std::to_string(dim) + ", ";
  if (tensor.shape.size() > 1)
    header.erase(header.size() - 1); // "(2, 3)" not "(2, 3, )"
  if (tensor.shape.size() > 1)
    header.back() = ')';
  else
    header += ")";
  header += ", }";
  // Pad so the data starts at a multiple of 64 bytes, ending with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot write '" + path + "'";
    return false;
  }
  file.write("\x93NUMPY\x01\x00", 8);
  uint16_t length = static_cast<uint16_t>(header.size());
  file.write(reinterpret_cast<const char *>(&length), 2);
  file << header;
  file.write(reinterpret_cast<const char *>(tensor.bytes.data()),
             static_cast<std::streamsize>(tensor.bytes.size()));
  if (!file) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}
