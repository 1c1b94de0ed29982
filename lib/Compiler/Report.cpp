//===- Report.cpp - the quality report of a compilation (--report) --------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// One table row and one pair of bars per linear layer, in program order.
//
//===----------------------------------------------------------------------===//

#include "lib/Compiler/Report.h"

#include "dialects/LowBit/LowBitDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <vector>

using namespace mlir;
using namespace mlir::lbc;

namespace {

struct LayerRow {
  std::string name;
  int64_t outFeatures = 0, inFeatures = 0;
  std::string format;
  double bitsPerWeight = 32;
  std::optional<double> weightError, outputError;
  /// What the rotation, smoothing and fitting passes did (lbc.transforms).
  std::string transforms;
  /// "block 0 q_proj": lbc-recognize-transformer's lowbit.block/role.
  std::string role;
};

/// The strings of an op's `lbc.transforms`, joined by "; ".
std::string transformsOf(Operation *op) {
  std::string text;
  if (auto notes = op->getAttrOfType<ArrayAttr>("lbc.transforms"))
    for (Attribute note : notes)
      if (auto string = dyn_cast<StringAttr>(note))
        text += (text.empty() ? "" : "; ") + string.str();
  return text;
}

/// The layer's name: the first name in its location (the ONNX node).
std::string layerName(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations()) {
      std::string name = layerName(inner);
      if (!name.empty())
        return name;
    }
  return "";
}

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string formatNumber(double value, const char *format) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::vector<LayerRow> collectLayers(func::FuncOp function) {
  std::vector<LayerRow> rows;
  function.walk([&](lowbit::LinearOp linear) {
    LayerRow row;
    row.name = layerName(linear.getLoc());
    if (row.name.empty())
      row.name = "linear " + std::to_string(rows.size());
    RankedTensorType weight = linear.getLogicalWeightType();
    row.outFeatures = weight.getDimSize(0);
    row.inFeatures = weight.getDimSize(1);
    if (auto packed =
            dyn_cast<lowbit::PackedWeightType>(linear.getWeight().getType())) {
      llvm::raw_string_ostream os(row.format);
      os << packed.getEncoding();
      row.bitsPerWeight =
          cast<lowbit::WeightEncodingAttrInterface>(packed.getEncoding())
              .bitsPerWeight();
    } else {
      row.format = "f32 (kept)";
    }
    if (std::optional<uint64_t> bits = linear.getActivationBits()) {
      row.format +=
          ", int" + std::to_string(*bits) + " inputs " +
          (linear.getActivationPerToken() ? "per token" : "per 32 channels");
      if (FloatAttr clip = linear.getActivationClipAttr())
        row.format +=
            " clipped at " + formatNumber(clip.getValueAsDouble(), "%g");
    }
    row.transforms = transformsOf(linear);
    if (auto role = linear->getAttrOfType<StringAttr>("lowbit.role")) {
      if (auto block = linear->getAttrOfType<IntegerAttr>("lowbit.block"))
        row.role = "block " + std::to_string(block.getInt()) + " ";
      row.role += role.str();
    }
    if (auto error = linear->getAttrOfType<FloatAttr>("lbc.weight_error"))
      row.weightError = error.getValueAsDouble();
    if (auto error = linear->getAttrOfType<FloatAttr>("lbc.output_error"))
      row.outputError = error.getValueAsDouble();
    rows.push_back(std::move(row));
  });
  return rows;
}

/// Two horizontal bars per layer (weight error, output error), scaled to the
/// largest error of the model.
void writeChart(llvm::raw_ostream &os, const std::vector<LayerRow> &rows) {
  double largest = 0;
  for (const LayerRow &row : rows)
    largest = std::max(
        {largest, row.weightError.value_or(0), row.outputError.value_or(0)});
  if (largest <= 0) {
    os << "<p>No layer was quantized: nothing to plot.</p>\n";
    return;
  }
  constexpr int kLabelWidth = 320, kBarWidth = 440, kRowHeight = 22;
  int height = int(rows.size()) * kRowHeight + 30;
  os << "<svg xmlns='http://www.w3.org/2000/svg' width='"
     << kLabelWidth + kBarWidth + 90 << "' height='" << height
     << "' role='img' aria-label='relative error per layer'>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    int y = int(i) * kRowHeight + 4;
    os << "<text x='" << kLabelWidth - 6 << "' y='" << y + 14
       << "' text-anchor='end' font-size='11'>" << escape(rows[i].name)
       << "</text>\n";
    auto bar = [&](std::optional<double> value, int offset, const char *color) {
      if (!value)
        return;
      int width = std::max(1, int(*value / largest * kBarWidth));
      os << "<rect x='" << kLabelWidth << "' y='" << y + offset << "' width='"
         << width << "' height='8' fill='" << color << "'/>\n";
      os << "<text x='" << kLabelWidth + width + 4 << "' y='" << y + offset + 8
         << "' font-size='9'>" << formatNumber(*value, "%.2e") << "</text>\n";
    };
    bar(rows[i].weightError, 0, "#3b6ea5");
    bar(rows[i].outputError, 9, "#d08c2b");
  }
  int legend = int(rows.size()) * kRowHeight + 16;
  os << "<rect x='" << kLabelWidth << "' y='" << legend
     << "' width='10' height='8' fill='#3b6ea5'/><text x='" << kLabelWidth + 14
     << "' y='" << legend + 8 << "' font-size='10'>weight error</text>\n"
     << "<rect x='" << kLabelWidth + 110 << "' y='" << legend
     << "' width='10' height='8' fill='#d08c2b'/><text x='" << kLabelWidth + 124
     << "' y='" << legend + 8
     << "' font-size='10'>output error (standard-normal inputs)</text>\n";
  os << "</svg>\n";
}

} // namespace

bool mlir::lbc::writeQualityReport(func::FuncOp function,
                                   const ReportSummary &summary,
                                   llvm::StringRef path, std::string &error) {
  std::vector<LayerRow> rows = collectLayers(function);
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return false;
  llvm::raw_ostream &os = file->os();
  double bitsPerWeight =
      summary.weightElements > 0
          ? 8.0 * double(summary.weightBytes) / double(summary.weightElements)
          : 0.0;
  int quantized = 0;
  for (const LayerRow &row : rows)
    quantized += row.weightError.has_value();
  os << "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
     << "<title>lbc quality report: " << escape(summary.modelPath)
     << "</title>\n<style>\n"
     << "body{font-family:sans-serif;margin:2em;color:#222}"
     << "table{border-collapse:collapse;font-size:13px}"
     << "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
     << "td:first-child,td:nth-child(2),td:nth-child(4),th{text-align:left}"
     << "caption{text-align:left;font-weight:bold;margin-bottom:4px}\n"
     << "</style>\n</head>\n<body>\n";
  os << "<h1>lbc quality report</h1>\n<table>\n"
     << "<tr><th>model</th><td>" << escape(summary.modelPath) << "</td></tr>\n"
     << "<tr><th>recipe</th><td>" << escape(summary.recipe) << "</td></tr>\n"
     << "<tr><th>weights</th><td>" << summary.weightElements << " in "
     << summary.weightBytes << " bytes</td></tr>\n"
     << "<tr><th>real bits/weight</th><td>"
     << formatNumber(bitsPerWeight, "%.3f")
     << " (scales, zero points and everything kept in f32 included)</td></tr>\n"
     << "<tr><th>linear layers</th><td>" << rows.size() << " (" << quantized
     << " quantized)</td></tr>\n</table>\n";
  os << "<h2>Relative error per layer</h2>\n<p>Weight error: "
        "||Q(W) - W||<sub>F</sub> / ||W||<sub>F</sub>. Output error: ||(Q(W) "
        "- W) x|| / ||W x|| over four seeded standard-normal inputs x (no "
        "calibration data). Model-level errors: <code>lbc-eval</code>.</p>\n";
  writeChart(os, rows);
  // What the structure passes recognised in the whole model.
  if (std::string structure = transformsOf(function); !structure.empty()) {
    os << "<h2>Structure</h2>\n<ul>\n";
    llvm::SmallVector<llvm::StringRef> items;
    llvm::StringRef(structure).split(items, "; ");
    for (llvm::StringRef item : items)
      os << "<li>" << escape(item) << "</li>\n";
    os << "</ul>\n";
  }
  os << "<h2>Layers</h2>\n<table>\n<tr><th>layer</th><th>role</th>"
     << "<th>out x in</th>"
     << "<th>format</th><th>bits/weight</th><th>weight error</th>"
     << "<th>output error</th><th>transforms</th></tr>\n";
  for (const LayerRow &row : rows) {
    auto cell = [&](std::optional<double> value) {
      return value ? formatNumber(*value, "%.3e") : std::string("-");
    };
    os << "<tr><td>" << escape(row.name) << "</td><td>" << escape(row.role)
       << "</td><td>" << row.outFeatures << " x " << row.inFeatures
       << "</td><td>" << escape(row.format) << "</td><td>"
       << formatNumber(row.bitsPerWeight, "%.3f") << "</td><td>"
       << cell(row.weightError) << "</td><td>" << cell(row.outputError)
       << "</td><td>" << escape(row.transforms) << "</td></tr>\n";
  }
  os << "</table>\n</body>\n</html>\n";
  file->keep();
  return true;
}
