//===- SymbolicDim.h - tensor dims as polynomials over named dims -*- C++ -*-=//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// A dynamic dimension of an imported model is a polynomial with integer
// coefficients over the named dims of the graph inputs ("sequence",
// "past + 1", "batch*sequence"). Its canonical text is what lbc writes into
// ONNX dim_param fields, into MLIR diagnostics and into the artifact's
// signature, from which the runtime computes output shapes.
//
//===----------------------------------------------------------------------===//

#ifndef LBC_LIB_SUPPORT_SYMBOLICDIM_H
#define LBC_LIB_SUPPORT_SYMBOLICDIM_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lbc {

/// sum over terms of coefficient * product(symbols); a constant is the term
/// with no symbols. Zero terms are never stored, so equal polynomials compare
/// equal.
class SymbolicDim {
public:
  /// Sorted symbol names (repeated for powers) -> coefficient.
  using Terms = std::map<std::vector<std::string>, int64_t>;

  SymbolicDim() = default; // zero
  static SymbolicDim constant(int64_t value);
  static SymbolicDim symbol(const std::string &name);
  /// Parses canonical text (as written by str()) or a plain dim_param name.
  /// A dim_param that is not a polynomial ("unk__3", "batch size") is taken
  /// whole as one symbol.
  static SymbolicDim parse(const std::string &text);

  std::optional<int64_t> getConstant() const;
  bool isConstant() const { return getConstant().has_value(); }
  /// A single symbol with coefficient 1 (a dim an input binds directly).
  std::optional<std::string> getSymbol() const;
  const Terms &getTerms() const { return terms; }

  SymbolicDim operator+(const SymbolicDim &other) const;
  SymbolicDim operator-(const SymbolicDim &other) const;
  SymbolicDim operator*(const SymbolicDim &other) const;
  /// Exact division (every coefficient divisible by a constant divisor, or
  /// one term dividing a monomial); std::nullopt when not exact.
  std::optional<SymbolicDim> divideExactly(const SymbolicDim &divisor) const;
  bool operator==(const SymbolicDim &other) const {
    return terms == other.terms;
  }
  bool operator!=(const SymbolicDim &other) const { return !(*this == other); }

  /// Canonical text: "2*batch*sequence + past + 1".
  std::string str() const;

  /// Evaluates with symbol values; std::nullopt if a symbol is unbound.
  std::optional<int64_t>
  evaluate(const std::map<std::string, int64_t> &values) const;

private:
  void addTerm(const std::vector<std::string> &symbols, int64_t coefficient);
  Terms terms;
};

} // namespace lbc

#endif // LBC_LIB_SUPPORT_SYMBOLICDIM_H
