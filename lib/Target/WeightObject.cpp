//===- WeightObject.cpp - weights as a relocatable object -----------------===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// The object lld links: ELF header | .symtab | .strtab | .shstrtab | section
// headers, with `.lbc.weights` a read-only SHT_NOBITS section of the
// weights' size. No relocations: the code object refers to the symbols, and
// the linker resolves them within the shared library. lld ends a read-only
// segment with the NOBITS section (nothing can follow it in that segment's
// file image); fillWeightSection then inserts the bytes there. The weights
// thus never pass through the linker, which mapped them twice (its input
// and its output: 2.2x the weights in peak memory for a 1.2 GB model).
//
//===----------------------------------------------------------------------===//

#include "lib/Target/WeightObject.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <utility>

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

/// Writes `count` zero bytes.
void writeZeros(llvm::raw_ostream &out, uint64_t count) {
  static const char zeros[4096] = {};
  while (count > 0) {
    uint64_t chunk = std::min<uint64_t>(sizeof(zeros), count);
    out.write(zeros, chunk);
    count -= chunk;
  }
}

} // namespace

WeightLayout
mlir::lbc::layOutWeights(const std::vector<WeightSymbol> &weights) {
  WeightLayout layout;
  for (const WeightSymbol &weight : weights) {
    layout.alignment = std::max(layout.alignment, weight.alignment);
    layout.size = llvm::alignTo(layout.size, weight.alignment);
    layout.offsets.push_back(layout.size);
    layout.size += weight.data.size();
  }
  return layout;
}

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
  WeightLayout layout = layOutWeights(weights);
  const std::vector<uint64_t> &offsets = layout.offsets;
  uint64_t sectionAlignment = layout.alignment, dataSize = layout.size;

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
  // The section's bounds, exported (default visibility): the runtime moves
  // the weights into huge pages when it loads the artifact
  // (runtime/core/HugeWeights.cpp).
  const std::pair<const char *, uint64_t> bounds[] = {
      {"lbc_weights_begin", 0}, {"lbc_weights_end", dataSize}};
  for (const auto &[name, value] : bounds) {
    Elf64_Sym symbol;
    std::memset(&symbol, 0, sizeof(symbol));
    symbol.st_name = addString(strtab, name);
    symbol.st_info = (STB_GLOBAL << 4) | STT_NOTYPE;
    symbol.st_other = STV_DEFAULT;
    symbol.st_shndx = kData;
    symbol.st_value = value;
    symbols.push_back(symbol);
  }
  uint32_t dataName = addString(shstrtab, ".lbc.weights");
  uint32_t symtabName = addString(shstrtab, ".symtab");
  uint32_t strtabName = addString(shstrtab, ".strtab");
  uint32_t shstrtabName = addString(shstrtab, ".shstrtab");

  // NOBITS: the section's offset is nominal, it has no bytes in the file.
  uint64_t dataOffset = llvm::alignTo(sizeof(Elf64_Ehdr), sectionAlignment);
  uint64_t symtabOffset = llvm::alignTo(dataOffset, 8);
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
  sections[kData] = {dataName,         SHT_NOBITS, SHF_ALLOC, 0,
                     dataOffset,       dataSize,   0,         0,
                     sectionAlignment, 0};
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
    if (offset > position)
      writeZeros(out, offset - position);
    position = std::max(position, offset);
  };
  write(&header, sizeof(header));
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

bool mlir::lbc::fillWeightSection(llvm::StringRef linkedPath,
                                  llvm::StringRef outputPath,
                                  const std::vector<WeightSymbol> &weights,
                                  std::string &error) {
  using namespace llvm::ELF;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> linked =
      llvm::MemoryBuffer::getFile(linkedPath, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!linked) {
    error = "cannot read '" + linkedPath.str() +
            "': " + linked.getError().message();
    return false;
  }
  std::string image = (*linked)->getBuffer().str();
  linked->reset();
  auto malformed = [&](llvm::StringRef what) {
    error = "internal error: the linked library '" + linkedPath.str() +
            "' has an unexpected layout: " + what.str();
    return false;
  };
  // The linker's own output for x86-64 or AArch64: ELF64, little-endian like
  // the host that wrote the weights object.
  if (image.size() < sizeof(Elf64_Ehdr))
    return malformed("no ELF header");
  auto *header = reinterpret_cast<Elf64_Ehdr *>(image.data());
  if (header->e_ident[EI_CLASS] != ELFCLASS64 ||
      header->e_ident[EI_DATA] != ELFDATA2LSB ||
      header->e_phoff + uint64_t(header->e_phnum) * sizeof(Elf64_Phdr) >
          image.size() ||
      header->e_shoff + uint64_t(header->e_shnum) * sizeof(Elf64_Shdr) >
          image.size() ||
      header->e_shstrndx >= header->e_shnum)
    return malformed("bad headers");
  auto *segments =
      reinterpret_cast<Elf64_Phdr *>(image.data() + header->e_phoff);
  auto *sections =
      reinterpret_cast<Elf64_Shdr *>(image.data() + header->e_shoff);
  const Elf64_Shdr &names = sections[header->e_shstrndx];
  auto sectionName = [&](const Elf64_Shdr &section) -> llvm::StringRef {
    if (names.sh_offset + section.sh_name >= image.size())
      return "";
    return llvm::StringRef(image.data() + names.sh_offset + section.sh_name);
  };
  Elf64_Shdr *weightSection = nullptr;
  for (unsigned i = 0; i < header->e_shnum; ++i)
    if (sectionName(sections[i]) == ".lbc.weights")
      weightSection = &sections[i];
  if (!weightSection)
    return malformed("no .lbc.weights section");
  WeightLayout layout = layOutWeights(weights);
  if (weightSection->sh_type != SHT_NOBITS ||
      weightSection->sh_size != layout.size)
    return malformed(".lbc.weights is not the NOBITS section linked");
  // The load segment that ends with the section, and the largest segment
  // alignment: the bytes after the insertion move by a multiple of it, so
  // every later segment keeps its offset congruent to its address.
  Elf64_Phdr *owner = nullptr;
  uint64_t maxAlignment = 1;
  const uint64_t address = weightSection->sh_addr, size = layout.size;
  for (unsigned i = 0; i < header->e_phnum; ++i) {
    Elf64_Phdr &segment = segments[i];
    if (segment.p_type != PT_LOAD)
      continue;
    maxAlignment = std::max<uint64_t>(maxAlignment, segment.p_align);
    if (segment.p_vaddr <= address &&
        address + size == segment.p_vaddr + segment.p_memsz)
      owner = &segment;
  }
  if (!owner || owner->p_vaddr + owner->p_filesz > address)
    return malformed("no load segment ends with .lbc.weights");
  // The segment's file image ends at `insertAt`; the section's bytes go at
  // the offset that matches its address, zeros in between.
  const uint64_t insertAt = owner->p_offset + owner->p_filesz;
  const uint64_t dataOffset = owner->p_offset + (address - owner->p_vaddr);
  const uint64_t shift =
      llvm::alignTo(dataOffset + size - insertAt, maxAlignment);
  for (unsigned i = 0; i < header->e_phnum; ++i)
    if (&segments[i] != owner && segments[i].p_offset < insertAt &&
        segments[i].p_offset + segments[i].p_filesz > insertAt)
      return malformed("a segment spans the end of .lbc.weights' segment");
  for (unsigned i = 0; i < header->e_shnum; ++i)
    if (sections[i].sh_type != SHT_NOBITS && sections[i].sh_offset < insertAt &&
        sections[i].sh_offset + sections[i].sh_size > insertAt)
      return malformed("a section spans the end of .lbc.weights' segment");
  for (unsigned i = 0; i < header->e_phnum; ++i)
    if (&segments[i] != owner && segments[i].p_offset >= insertAt &&
        segments[i].p_filesz + segments[i].p_memsz > 0)
      segments[i].p_offset += shift;
  owner->p_filesz = dataOffset + size - owner->p_offset;
  for (unsigned i = 0; i < header->e_shnum; ++i)
    if (&sections[i] != weightSection && sections[i].sh_offset >= insertAt)
      sections[i].sh_offset += shift;
  weightSection->sh_type = SHT_PROGBITS;
  weightSection->sh_offset = dataOffset;
  if (header->e_shoff >= insertAt)
    header->e_shoff += shift;

  std::error_code ec;
  llvm::raw_fd_ostream out(outputPath, ec);
  if (ec) {
    error = "cannot write '" + outputPath.str() + "': " + ec.message();
    return false;
  }
  out.write(image.data(), insertAt);
  uint64_t position = insertAt;
  for (size_t i = 0; i < weights.size(); ++i) {
    writeZeros(out, dataOffset + layout.offsets[i] - position);
    out.write(weights[i].data.data(), weights[i].data.size());
    position = dataOffset + layout.offsets[i] + weights[i].data.size();
  }
  writeZeros(out, insertAt + shift - position);
  out.write(image.data() + insertAt, image.size() - insertAt);
  out.close();
  if (out.has_error()) {
    error = "cannot write '" + outputPath.str() + "': " + out.error().message();
    out.clear_error();
    return false;
  }
  // The linker's permissions (executable), not the stream's default.
  llvm::ErrorOr<llvm::sys::fs::perms> permissions =
      llvm::sys::fs::getPermissions(linkedPath);
  if (permissions)
    if (std::error_code ec =
            llvm::sys::fs::setPermissions(outputPath, *permissions)) {
      error = "cannot set the permissions of '" + outputPath.str() +
              "': " + ec.message();
      return false;
    }
  return true;
}
