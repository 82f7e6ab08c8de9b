//===- WeightPacking.cpp - Weights and scales in the x86 kernel layout ----===//

#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include <algorithm>
#include <numeric>

using namespace lowbit::x86;
using lowbit::layout::BitLayout;
using lowbit::layout::IntTuple;
using lowbit::layout::Layout;

unsigned KernelShape::bits() const { return std::accumulate(planes.begin(), planes.end(), 0u); }

unsigned KernelShape::shift(size_t p) const {
  return std::accumulate(planes.begin(), planes.begin() + p, 0u);
}

int64_t KernelShape::blockQuantum() const {
  int64_t q = 0;
  for (size_t p = 0; p < planes.size(); ++p)
    q = std::max(q, kPerVector(p));
  return q;
}

int64_t KernelShape::vectorsPerBlockAllPlanes() const { return planeVector(planes.size()); }

int64_t KernelShape::planeVector(size_t p) const {
  int64_t v = 0;
  for (size_t q = 0; q < p; ++q)
    v += vectorsPerBlock(q);
  return v;
}

std::vector<unsigned> lowbit::x86::planesFor(unsigned bits) {
  std::vector<unsigned> planes;
  if (bits == 1 || bits == 2 || bits == 4 || bits == 8)
    return {bits};
  for (unsigned w : {4u, 2u, 1u})
    if (bits >= w) {
      planes.push_back(w);
      bits -= w;
    }
  return planes; // 4 + 2 + 1 for 7: widest (lowest) plane first
}

int64_t lowbit::x86::vectorBit(const KernelShape &s, size_t plane, int64_t lane, int64_t k) {
  if (s.lutNibbles && s.lutLanes) {
    int64_t group = (k % 16) / 4;
    return 8 * (32 * (k / 16) + 16 * (group / 2) + lane) + 4 * (group % 2) + k % 4;
  }
  if (s.lutNibbles)
    return 8 * s.laneByte(lane, (k / kLaneK) % kLaneK) + 4 * (k / 16) + k % 4;
  return 8 * s.laneByte(lane, k % kLaneK) + s.planes[plane] * (k / kLaneK);
}

Expected<BitLayout> lowbit::x86::kernelWeightLayout(const KernelShape &s, size_t plane) {
  int64_t w = s.planes[plane], slots = s.slotsPerByte(plane);
  int64_t vectorBits = kVectorBytes * 8, perTile = s.cols / s.kPerVector(plane);
  // Element index = n * cols + k, colexicographic over
  // ((j, slot, vector), (lane, row tile)) with k = j + 4 * slot +
  // kPerVector * vector and n = lane + 16 * row tile.
  // The 4 k of a lane and the 16 lanes, split in two modes each where the
  // lanes are paired (KernelShape::laneByte).
  IntTuple laneK = s.pairedLanes ? IntTuple({IntTuple(2), IntTuple(2)}) : IntTuple(kLaneK);
  IntTuple laneKStride = s.pairedLanes ? IntTuple({IntTuple(8), IntTuple(64)}) : IntTuple(8);
  IntTuple lanes = s.pairedLanes ? IntTuple({IntTuple(4), IntTuple(4)}) : IntTuple(kTileRows);
  IntTuple laneStride =
      s.pairedLanes ? IntTuple({IntTuple(16), IntTuple(128)}) : IntTuple(kLaneK * 8);
  // The 32 k of a lookup-table vector: k = t + 4 j + 16 h at bit t + 4 h
  // of byte j (KernelShape::lutNibbles); in the vpshufb order k = t + 4 h
  // + 8 l + 16 half at bit t + 4 h of byte 32 half + 16 l + lane.
  IntTuple vectorK = s.lutLanes     ? IntTuple({IntTuple(4), IntTuple(2), IntTuple(2), IntTuple(2)})
                     : s.lutNibbles ? IntTuple({IntTuple(4), IntTuple(kLaneK), IntTuple(2)})
                                    : IntTuple({laneK, IntTuple(slots)});
  IntTuple vectorKStride =
      s.lutLanes     ? IntTuple({IntTuple(1), IntTuple(4), IntTuple(128), IntTuple(256)})
      : s.lutNibbles ? IntTuple({IntTuple(1), IntTuple(8), IntTuple(4)})
                     : IntTuple({laneKStride, IntTuple(w)});
  if (s.lutLanes) {
    lanes = IntTuple(kTileRows);
    laneStride = IntTuple(8);
  }
  IntTuple shape({IntTuple(w), IntTuple({IntTuple({vectorK, IntTuple(perTile)}),
                                         IntTuple({lanes, IntTuple(s.rowTiles())})})});
  IntTuple stride({IntTuple(1),
                   IntTuple({IntTuple({vectorKStride, IntTuple(vectorBits)}),
                             IntTuple({laneStride, IntTuple(vectorBits * perTile)})})});
  Expected<Layout> map = Layout::make(shape, stride);
  if (!map)
    return Expected<BitLayout>::failure(map.error());
  return BitLayout::make(*map);
}

std::vector<uint8_t> lowbit::x86::packKernelWeights(const KernelShape &s,
                                                    const std::vector<uint8_t> &operands) {
  std::vector<uint8_t> out(s.bytes(), 0);
  int64_t perBlock = s.vectorsPerBlockAllPlanes(), blocks = s.blocks();
  for (size_t p = 0; p < s.planes.size(); ++p) {
    unsigned w = s.planes[p], shift = s.shift(p);
    uint8_t mask = static_cast<uint8_t>((1u << w) - 1);
    int64_t kv = s.kPerVector(p), first = s.planeVector(p);
    for (int64_t row = 0; row < s.rows; ++row) {
      int64_t tileBase = (row / kTileRows) * blocks * perBlock * kVectorBytes;
      int64_t lane = row % kTileRows;
      const uint8_t *in = operands.data() + row * s.cols;
      for (int64_t col = 0; col < s.cols; ++col) {
        // Byte j of lane (row % 16) in vector (col % block) / kv of the
        // plane in block col / block; slot (col / 4) % slots.
        int64_t vector = (col / s.block) * perBlock + first + (col % s.block) / kv;
        int64_t bit = vectorBit(s, p, lane, col % kv);
        int64_t byte = tileBase + vector * kVectorBytes + bit / 8;
        uint8_t bits = static_cast<uint8_t>((in[col] >> shift) & mask);
        out[byte] |= static_cast<uint8_t>(bits << (bit % 8));
      }
    }
  }
  return out;
}
