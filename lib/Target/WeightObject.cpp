//===- WeightObject.cpp - weights as a relocatable object -----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Layout: ELF header | .lbc.weights data | .symtab | .strtab | .shstrtab |
// section headers. No relocations: the code object refers to the symbols,
// and the linker resolves them within the shared library.
//
//===----------------------------------------------------------------------===//

#include "lib/Target/WeightObject.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir::lbc;

namespace {

/// Appends `name` and a terminating zero to a string table; returns its
/// offset.
uint32_t addString(std::string &table, llvm::StringRef name) {
  uint32_t offset = table.size();
  table.append(name.data(), name.size());
  table.push_back('\0');
  return offset;
}

} // namespace

bool mlir::lbc::writeWeightObject(llvm::StringRef path,
                                  const llvm::Triple &triple,
                                  const std::vector<WeightSymbol> &weights,
                                  std::string &error) {
  using namespace llvm::ELF;
  uint16_t machine;
  if (triple.getArch() == llvm::Triple::x86_64)
    machine = EM_X86_64;
  else if (triple.getArch() == llvm::Triple::aarch64)
    machine = EM_AARCH64;
  else {
    error = "weights objects are not supported for " + triple.str();
    return false;
  }

  // Place the weights in the data section.
  uint64_t sectionAlignment = 64, dataSize = 0;
  std::vector<uint64_t> offsets;
  for (const WeightSymbol &weight : weights) {
    sectionAlignment = std::max(sectionAlignment, weight.alignment);
    dataSize = llvm::alignTo(dataSize, weight.alignment);
    offsets.push_back(dataSize);
    dataSize += weight.data.size();
  }

  // Symbols: the null symbol, the section symbol (local), then one global
  // hidden object per weight.
  enum : uint16_t { kNull, kData, kSymtab, kStrtab, kShstrtab, kCount };
  std::string strtab(1, '\0'), shstrtab(1, '\0');
  std::vector<Elf64_Sym> symbols(2);
  std::memset(symbols.data(), 0, sizeof(Elf64_Sym) * symbols.size());
  symbols[1].st_info = (STB_LOCAL << 4) | STT_SECTION;
  symbols[1].st_shndx = kData;
  for (size_t i = 0; i < weights.size(); ++i) {
    Elf64_Sym symbol;
    std::memset(&symbol, 0, sizeof(symbol));
    symbol.st_name = addString(strtab, weights[i].name);
    symbol.st_info = (STB_GLOBAL << 4) | STT_OBJECT;
    symbol.st_other = STV_HIDDEN;
    symbol.st_shndx = kData;
    symbol.st_value = offsets[i];
    symbol.st_size = weights[i].data.size();
    symbols.push_back(symbol);
  }
  uint32_t dataName = addString(shstrtab, ".lbc.weights");
  uint32_t symtabName = addString(shstrtab, ".symtab");
  uint32_t strtabName = addString(shstrtab, ".strtab");
  uint32_t shstrtabName = addString(shstrtab, ".shstrtab");

  uint64_t dataOffset = llvm::alignTo(sizeof(Elf64_Ehdr), sectionAlignment);
  uint64_t symtabOffset = llvm::alignTo(dataOffset + dataSize, 8);
  uint64_t symtabSize = symbols.size() * sizeof(Elf64_Sym);
  uint64_t strtabOffset = symtabOffset + symtabSize;
  uint64_t shstrtabOffset = strtabOffset + strtab.size();
  uint64_t headersOffset = llvm::alignTo(shstrtabOffset + shstrtab.size(), 8);

  Elf64_Ehdr header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.e_ident, ElfMagic, 4);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_ident[EI_OSABI] = ELFOSABI_NONE;
  header.e_type = ET_REL;
  header.e_machine = machine;
  header.e_version = EV_CURRENT;
  header.e_shoff = headersOffset;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = kCount;
  header.e_shstrndx = kShstrtab;

  Elf64_Shdr sections[kCount];
  std::memset(sections, 0, sizeof(sections));
  sections[kData] = {
      dataName, SHT_PROGBITS,     SHF_ALLOC, 0, dataOffset, dataSize, 0,
      0,        sectionAlignment, 0};
  sections[kSymtab] = {symtabName,
                       SHT_SYMTAB,
                       0,
                       0,
                       symtabOffset,
                       symtabSize,
                       kStrtab,
                       /*first global=*/2,
                       8,
                       sizeof(Elf64_Sym)};
  sections[kStrtab] = {strtabName,    SHT_STRTAB, 0, 0, strtabOffset,
                       strtab.size(), 0,          0, 1, 0};
  sections[kShstrtab] = {shstrtabName,    SHT_STRTAB, 0, 0, shstrtabOffset,
                         shstrtab.size(), 0,          0, 1, 0};

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  uint64_t position = 0;
  auto write = [&](const void *bytes, size_t size) {
    out.write(static_cast<const char *>(bytes), size);
    position += size;
  };
  auto padTo = [&](uint64_t offset) {
    static const char zeros[64] = {};
    while (position < offset) {
      size_t chunk = std::min<uint64_t>(sizeof(zeros), offset - position);
      write(zeros, chunk);
    }
  };
  write(&header, sizeof(header));
  for (size_t i = 0; i < weights.size(); ++i) {
    padTo(dataOffset + offsets[i]);
    write(weights[i].data.data(), weights[i].data.size());
  }
  padTo(symtabOffset);
  write(symbols.data(), symtabSize);
  write(strtab.data(), strtab.size());
  write(shstrtab.data(), shstrtab.size());
  padTo(headersOffset);
  write(sections, sizeof(sections));
  out.close();
  if (out.has_error()) {
    error = "cannot write '" + path.str() + "': " + out.error().message();
    out.clear_error();
    return false;
  }
  return true;
}
