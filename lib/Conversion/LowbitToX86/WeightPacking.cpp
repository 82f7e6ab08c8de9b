//===- WeightPacking.cpp - Weights and scales in the x86 kernel layout ----===//

#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

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

std::vector<uint8_t> lowbit::x86::packKernelWeights(const KernelShape &s,
                                                    const std::vector<uint8_t> &slots) {
  std::vector<uint8_t> out(s.bytes(), 0);
  int64_t p = s.slotsPerByte(), kv = s.kPerVector(), vectors = s.vectorsPerRowTile();
  unsigned w = s.slotBits;
  for (int64_t row = 0; row < s.rows; ++row) {
    int64_t tileBase = (row / kTileRows) * vectors * kVectorBytes + (row % kTileRows) * kLaneK;
    const uint8_t *in = slots.data() + row * s.cols;
    for (int64_t col = 0; col < s.cols; ++col) {
      // Byte j of lane (row % 16) in vector col / kv; slot (col / 4) % p.
      int64_t byte = tileBase + (col / kv) * kVectorBytes + col % kLaneK;
      out[byte] |= static_cast<uint8_t>(in[col] << (w * ((col / kLaneK) % p)));
    }
  }
  return out;
}
