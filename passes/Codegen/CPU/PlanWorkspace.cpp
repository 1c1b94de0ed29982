//===- PlanWorkspace.cpp - static intermediates in one reused workspace ---===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Replaces the static top-level allocations of a bufferized function with
// views into a caller-provided workspace, packing buffers whose lifetimes do
// not overlap into the same bytes.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

namespace mlir::lbc {
#define GEN_PASS_DEF_PLANWORKSPACEPASS
#include "passes/Codegen/CPU/Passes.h.inc"
} // namespace mlir::lbc

using namespace mlir;

namespace {

/// Alignment of every buffer in the workspace: one cache line, which also
/// covers the widest vector loads (AVX-512).
constexpr uint64_t kBufferAlignment = 64;

/// One planned allocation: its lifetime in top-level op positions (both
/// ends inclusive) and the slot it lives in.
struct Buffer {
  memref::AllocOp alloc;
  int64_t start = 0, end = 0;
  uint64_t size = 0;
  unsigned slot = 0;

  bool overlapsInTime(const Buffer &other) const {
    return start <= other.end && other.start <= end;
  }
};

/// A byte range of the workspace shared by buffers with disjoint lifetimes.
struct Slot {
  uint64_t offset = 0, size = 0;
  SmallVector<Buffer *> buffers;
};

/// The position of the last top-level op that uses `root` or a value that
/// may alias it, or nothing when the buffer escapes the function. An address
/// taken with memref.extract_aligned_pointer_as_index (how microkernel calls
/// receive buffers) keeps the buffer alive as long as it, or any value
/// computed from it, is used.
std::optional<int64_t>
lastUse(Value root, Block &body,
        const DenseMap<Operation *, int64_t> &positions) {
  SmallVector<Value> worklist = {root};
  DenseSet<Value> seen = {root};
  int64_t last = -1;
  auto addAliases = [&](ValueRange values, bool anyType = false) {
    for (Value value : values)
      if ((anyType || isa<BaseMemRefType>(value.getType())) &&
          seen.insert(value).second)
        worklist.push_back(value);
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    bool address = !isa<BaseMemRefType>(value.getType());
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      if (user->hasTrait<OpTrait::IsTerminator>()) {
        // A yielded buffer lives on in the parent's results; a returned one
        // outlives the call.
        Operation *parent = user->getParentOp();
        if (isa<FunctionOpInterface>(parent))
          return std::nullopt;
        addAliases(parent->getResults());
      }
      last = std::max(last, positions.lookup(top));
      // Views, casts and region arguments fed by the buffer alias it; so
      // does everything computed from its address.
      addAliases(user->getResults(),
                 address || isa<memref::ExtractAlignedPointerAsIndexOp>(user));
      for (Region &region : user->getRegions())
        for (Block &block : region)
          addAliases(block.getArguments());
    }
  }
  return last;
}

/// Colors buffers into slots, largest first: a buffer joins the first slot
/// none of whose buffers is alive at the same time, or opens a new one.
/// Slots are disjoint, 64-byte aligned ranges of the workspace.
SmallVector<Slot> assignSlots(SmallVectorImpl<Buffer> &buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    order.push_back(&buffer);
  std::stable_sort(order.begin(), order.end(),
                   [](Buffer *a, Buffer *b) { return a->size > b->size; });
  SmallVector<Slot> slots;
  for (Buffer *buffer : order) {
    auto fits = [&](const Slot &slot) {
      return llvm::none_of(slot.buffers, [&](Buffer *other) {
        return buffer->overlapsInTime(*other);
      });
    };
    auto *slot = llvm::find_if(slots, fits);
    if (slot == slots.end()) {
      slots.emplace_back();
      slot = &slots.back();
    }
    slot->size = std::max(slot->size, buffer->size);
    slot->buffers.push_back(buffer);
    buffer->slot = slot - slots.begin();
  }
  uint64_t offset = 0;
  for (Slot &slot : slots) {
    slot.offset = offset;
    slot.size = llvm::alignTo(slot.size, kBufferAlignment);
    offset += slot.size;
  }
  return slots;
}

/// Plans the workspace of one function body; returns its size in bytes.
uint64_t planFunction(func::FuncOp function) {
  Block &body = function.getBody().front();
  DenseMap<Operation *, int64_t> positions;
  int64_t position = 0;
  for (Operation &op : body)
    positions[&op] = position++;

  DataLayout layout = DataLayout::closest(function);
  SmallVector<Buffer> buffers;
  for (Operation &op : body) {
    auto alloc = dyn_cast<memref::AllocOp>(&op);
    if (!alloc)
      continue;
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        type.getMemorySpace() ||
        alloc.getAlignment().value_or(0) > kBufferAlignment)
      continue;
    std::optional<int64_t> end = lastUse(alloc, body, positions);
    if (!end)
      continue;
    Buffer buffer;
    buffer.alloc = alloc;
    buffer.start = positions[alloc];
    buffer.end = std::max(*end, buffer.start);
    uint64_t elementBytes =
        std::max<uint64_t>(1, layout.getTypeSize(type.getElementType()));
    buffer.size = std::max<uint64_t>(1, type.getNumElements() * elementBytes);
    buffers.push_back(buffer);
  }
  SmallVector<Slot> slots = assignSlots(buffers);

  // One argument per slot. Slots never overlap, so the artifact emitter
  // marks them noalias, and LLVM then knows that a loop reading one
  // intermediate and writing another touches distinct memory (needed to
  // vectorize and to keep accumulators in registers). Buffers sharing a slot
  // share its argument.
  MLIRContext *context = function.getContext();
  auto slotType =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8));
  SmallVector<Value> slotArguments;
  SmallVector<int64_t> layoutPairs;
  for (const Slot &slot : slots) {
    unsigned index = function.getNumArguments();
    (void)function.insertArgument(index, slotType, {}, function.getLoc());
    function.setArgAttr(
        index, "lbc.workspace_slot",
        IntegerAttr::get(IntegerType::get(context, 64), slotArguments.size()));
    slotArguments.push_back(function.getArgument(index));
    layoutPairs.push_back(static_cast<int64_t>(slot.offset));
    layoutPairs.push_back(static_cast<int64_t>(slot.size));
  }
  function->setAttr("lbc.workspace_slots",
                    DenseI64ArrayAttr::get(context, layoutPairs));
  OpBuilder builder(context);
  for (Buffer &buffer : buffers) {
    builder.setInsertionPoint(buffer.alloc);
    Location loc = buffer.alloc.getLoc();
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value view =
        memref::ViewOp::create(builder, loc, buffer.alloc.getType(),
                               slotArguments[buffer.slot], zero, ValueRange{});
    buffer.alloc.replaceAllUsesWith(view);
    buffer.alloc.erase();
  }
  return slots.empty() ? 0 : slots.back().offset + slots.back().size;
}

struct PlanWorkspacePass
    : public mlir::lbc::impl::PlanWorkspacePassBase<PlanWorkspacePass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isDeclaration() || !function.isPublic())
        continue;
      uint64_t size = planFunction(function);
      function->setAttr("lbc.workspace_size",
                        IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                         static_cast<int64_t>(size)));
    }
  }
};

} // namespace
