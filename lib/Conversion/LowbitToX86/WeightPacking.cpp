//===- WeightPacking.cpp - Weights and scales in the x86 kernel layout ----===//

#include "WeightPacking.h"

using namespace lowbit::x86;
using lowbit::layout::BitLayout;
using lowbit::layout::IntTuple;
using lowbit::layout::Layout;

Expected<BitLayout> lowbit::x86::kernelWeightLayout(const KernelShape &s) {
  int64_t w = s.slotBits, p = s.slotsPerByte();
  int64_t vectorBits = kVectorBytes * 8;
  // Element index = n * cols + k, colexicographic over
  // ((j, slot, vector), (lane, row tile)) with k = j + 4 * slot + 4p * vector
  // and n = lane + 16 * row tile.
  IntTuple shape({IntTuple(w), IntTuple({IntTuple({IntTuple(kLaneK), IntTuple(p),
                                                   IntTuple(s.vectorsPerRowTile())}),
                                         IntTuple({IntTuple(kTileRows), IntTuple(s.rowTiles())})})});
  IntTuple stride(
      {IntTuple(1),
       IntTuple({IntTuple({IntTuple(8), IntTuple(w), IntTuple(vectorBits)}),
                 IntTuple({IntTuple(kLaneK * 8), IntTuple(vectorBits * s.vectorsPerRowTile())})})});
  Expected<Layout> map = Layout::make(shape, stride);
  if (!map)
    return Expected<BitLayout>::failure(map.error());
  return BitLayout::make(*map);
}

Expected<std::vector<uint8_t>>
lowbit::x86::packKernelWeights(const KernelShape &s, const std::vector<uint32_t> &slots) {
  Expected<BitLayout> layout = kernelWeightLayout(s);
  if (!layout)
    return Expected<std::vector<uint8_t>>::failure(layout.error());
  std::vector<uint8_t> out(layout->storageBytes());
  layout->pack(slots.data(), out.data());
  return out;
}
