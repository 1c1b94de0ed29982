//===- SymbolicDim.cpp - tensor dims as polynomials over named dims -------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//

#include "lib/Support/SymbolicDim.h"

#include <algorithm>
#include <cctype>

using namespace lbc;

SymbolicDim SymbolicDim::constant(int64_t value) {
  SymbolicDim result;
  result.addTerm({}, value);
  return result;
}

SymbolicDim SymbolicDim::symbol(const std::string &name) {
  SymbolicDim result;
  result.addTerm({name}, 1);
  return result;
}

void SymbolicDim::addTerm(const std::vector<std::string> &symbols,
                          int64_t coefficient) {
  int64_t &slot = terms[symbols];
  slot += coefficient;
  if (slot == 0)
    terms.erase(symbols);
}

namespace {

/// Recursive-descent reader of the canonical text; fails on anything else.
class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  bool parse(SymbolicDim::Terms &terms) {
    int64_t sign = 1;
    skipSpaces();
    if (consume('-'))
      sign = -1;
    while (true) {
      std::vector<std::string> symbols;
      int64_t coefficient = 1;
      if (!parseTerm(symbols, coefficient))
        return false;
      std::sort(symbols.begin(), symbols.end());
      terms[symbols] += sign * coefficient;
      skipSpaces();
      if (position == text.size())
        return true;
      if (consume('+'))
        sign = 1;
      else if (consume('-'))
        sign = -1;
      else
        return false;
    }
  }

private:
  bool parseTerm(std::vector<std::string> &symbols, int64_t &coefficient) {
    bool any = false;
    do {
      skipSpaces();
      if (position < text.size() && std::isdigit(text[position])) {
        int64_t value = 0;
        while (position < text.size() && std::isdigit(text[position]))
          value = value * 10 + (text[position++] - '0');
        coefficient *= value;
      } else if (position < text.size() &&
                 (std::isalpha(text[position]) || text[position] == '_')) {
        size_t start = position;
        while (position < text.size() &&
               (std::isalnum(text[position]) || text[position] == '_' ||
                text[position] == '.'))
          ++position;
        symbols.push_back(text.substr(start, position - start));
      } else {
        return false;
      }
      any = true;
      skipSpaces();
    } while (consume('*'));
    return any;
  }

  void skipSpaces() {
    while (position < text.size() && text[position] == ' ')
      ++position;
  }
  bool consume(char c) {
    skipSpaces();
    if (position < text.size() && text[position] == c) {
      ++position;
      return true;
    }
    return false;
  }

  const std::string &text;
  size_t position = 0;
};

} // namespace

SymbolicDim SymbolicDim::parse(const std::string &text) {
  Terms parsed;
  if (!Parser(text).parse(parsed))
    return symbol(text);
  SymbolicDim result;
  for (const auto &[symbols, coefficient] : parsed)
    result.addTerm(symbols, coefficient);
  return result;
}

std::optional<int64_t> SymbolicDim::getConstant() const {
  if (terms.empty())
    return 0;
  if (terms.size() == 1 && terms.begin()->first.empty())
    return terms.begin()->second;
  return std::nullopt;
}

std::optional<std::string> SymbolicDim::getSymbol() const {
  if (terms.size() == 1 && terms.begin()->first.size() == 1 &&
      terms.begin()->second == 1)
    return terms.begin()->first.front();
  return std::nullopt;
}

SymbolicDim SymbolicDim::operator+(const SymbolicDim &other) const {
  SymbolicDim result = *this;
  for (const auto &[symbols, coefficient] : other.terms)
    result.addTerm(symbols, coefficient);
  return result;
}

SymbolicDim SymbolicDim::operator-(const SymbolicDim &other) const {
  SymbolicDim result = *this;
  for (const auto &[symbols, coefficient] : other.terms)
    result.addTerm(symbols, -coefficient);
  return result;
}

SymbolicDim SymbolicDim::operator*(const SymbolicDim &other) const {
  SymbolicDim result;
  for (const auto &[left, a] : terms)
    for (const auto &[right, b] : other.terms) {
      std::vector<std::string> symbols = left;
      symbols.insert(symbols.end(), right.begin(), right.end());
      std::sort(symbols.begin(), symbols.end());
      result.addTerm(symbols, a * b);
    }
  return result;
}

std::optional<SymbolicDim>
SymbolicDim::divideExactly(const SymbolicDim &divisor) const {
  if (divisor.terms.size() != 1)
    return *this == divisor ? std::optional(constant(1)) : std::nullopt;
  const auto &[divisorSymbols, divisorCoefficient] = *divisor.terms.begin();
  SymbolicDim result;
  for (const auto &[symbols, coefficient] : terms) {
    if (coefficient % divisorCoefficient != 0)
      return std::nullopt;
    // Remove the divisor's symbols (a multiset) from this term's.
    std::vector<std::string> remaining;
    if (!std::includes(symbols.begin(), symbols.end(), divisorSymbols.begin(),
                       divisorSymbols.end()))
      return std::nullopt;
    std::set_difference(symbols.begin(), symbols.end(), divisorSymbols.begin(),
                        divisorSymbols.end(), std::back_inserter(remaining));
    result.addTerm(remaining, coefficient / divisorCoefficient);
  }
  return result;
}

std::string SymbolicDim::str() const {
  if (terms.empty())
    return "0";
  std::string text;
  // Symbolic terms first (highest degree first), the constant last.
  std::vector<std::pair<std::vector<std::string>, int64_t>> ordered(
      terms.begin(), terms.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto &a, const auto &b) {
                     return a.first.size() > b.first.size();
                   });
  for (const auto &[symbols, coefficient] : ordered) {
    int64_t magnitude = coefficient < 0 ? -coefficient : coefficient;
    if (text.empty())
      text += coefficient < 0 ? "-" : "";
    else
      text += coefficient < 0 ? " - " : " + ";
    std::string term;
    if (magnitude != 1 || symbols.empty())
      term = std::to_string(magnitude);
    for (const std::string &symbol : symbols)
      term += (term.empty() ? "" : "*") + symbol;
    text += term;
  }
  return text;
}

std::optional<int64_t>
SymbolicDim::evaluate(const std::map<std::string, int64_t> &values) const {
  int64_t total = 0;
  for (const auto &[symbols, coefficient] : terms) {
    int64_t product = coefficient;
    for (const std::string &symbol : symbols) {
      auto found = values.find(symbol);
      if (found == values.end())
        return std::nullopt;
      product *= found->second;
    }
    total += product;
  }
  return total;
}
