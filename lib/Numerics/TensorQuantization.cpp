//===- TensorQuantization.cpp - Schemes applied to whole tensors ----------===//

#include "lowbit/Numerics/TensorQuantization.h"
#include "lowbit/Numerics/Codec.h"

#include <algorithm>
#include <cmath>

using namespace lowbit::num;

int64_t lowbit::num::numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> lowbit::num::scaleGridShape(const std::vector<int64_t> &shape,
                                                 const std::vector<int64_t> &extents) {
  std::vector<int64_t> grid(shape.size());
  for (size_t d = 0; d < shape.size(); ++d)
    grid[d] = (shape[d] + extents[d] - 1) / extents[d];
  return grid;
}

std::vector<uint32_t>
lowbit::num::groupIndexOfElements(const std::vector<int64_t> &shape,
                                  const std::vector<int64_t> &extents) {
  std::vector<int64_t> grid = scaleGridShape(shape, extents);
  size_t rank = shape.size();
  std::vector<uint32_t> out(numElements(shape));
  std::vector<int64_t> idx(rank, 0);
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t g = 0;
    for (size_t d = 0; d < rank; ++d)
      g = g * grid[d] + idx[d] / extents[d];
    out[i] = static_cast<uint32_t>(g);
    for (size_t d = rank; d-- > 0;) { // row-major odometer
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

std::optional<IntScaleRule> lowbit::num::intScaleRule(SchemeRule r) {
  switch (r) {
  case SchemeRule::AbsMax:
    return IntScaleRule::AbsMax;
  case SchemeRule::GptqMinMax:
    return IntScaleRule::GptqMinMax;
  case SchemeRule::AwqMinMax:
    return IntScaleRule::AwqMinMax;
  case SchemeRule::MinOffset:
    return IntScaleRule::MinOffset;
  case SchemeRule::MX:
  case SchemeRule::NvFp4:
    break;
  }
  return std::nullopt;
}

namespace {

// Calls fn(g, members) for every group g (row-major over the scale grid)
// with the flat indices of its elements in row-major order. One buffer is
// reused: no per-element index table, so folding a large weight costs no
// more memory than its codes.
template <class Fn>
void forEachGroup(const std::vector<int64_t> &shape, const std::vector<int64_t> &extents,
                  Fn fn) {
  std::vector<int64_t> grid = scaleGridShape(shape, extents);
  size_t rank = shape.size();
  std::vector<int64_t> gidx(rank, 0), box(rank), idx(rank);
  std::vector<size_t> members;
  int64_t groups = numElements(grid);
  for (int64_t g = 0; g < groups; ++g) {
    members.clear();
    int64_t count = 1;
    for (size_t d = 0; d < rank; ++d) {
      box[d] = std::min(extents[d], shape[d] - gidx[d] * extents[d]);
      count *= box[d];
    }
    std::fill(idx.begin(), idx.end(), 0);
    for (int64_t i = 0; i < count; ++i) {
      size_t flat = 0;
      for (size_t d = 0; d < rank; ++d)
        flat = flat * shape[d] + gidx[d] * extents[d] + idx[d];
      members.push_back(flat);
      for (size_t d = rank; d-- > 0;) { // row-major odometer inside the box
        if (++idx[d] < box[d])
          break;
        idx[d] = 0;
      }
    }
    fn(static_cast<size_t>(g), members);
    for (size_t d = rank; d-- > 0;) { // next group
      if (++gidx[d] < grid[d])
        break;
      gidx[d] = 0;
    }
  }
}
} // namespace

QuantizedTensor lowbit::num::quantizeTensor(const TensorScheme &s,
                                            const std::vector<int64_t> &shape,
                                            const float *x) {
  size_t n = numElements(shape);
  QuantizedTensor q;
  q.codes.assign(n, 0);
  size_t groups = numElements(scaleGridShape(shape, s.extents));
  q.scales.assign(groups, 0);
  if (s.zero)
    q.zeroPoints.assign(groups, 0);

  float tensorAmax = 0;
  if (s.rule == SchemeRule::NvFp4) {
    for (size_t i = 0; i < n; ++i)
      tensorAmax = std::max(tensorAmax, std::fabs(x[i]));
    q.tensorScale = nvfp4TensorScale(tensorAmax, NvFp4Rule::Exact);
  }
  // MX blocks along the last axis (every MX weight and activation): each
  // row in one call of the table path, which BulkMx tests against
  // mxQuantizeBlock block by block; the gather below costs more than the
  // quantization for large weights folded at compile time.
  if (s.rule == SchemeRule::MX && !shape.empty() && n > 0 &&
      std::all_of(s.extents.begin(), s.extents.end() - 1, [](int64_t e) { return e == 1; }) &&
      s.extents.back() > 0) {
    size_t k = static_cast<size_t>(shape.back()), block = static_cast<size_t>(s.extents.back());
    size_t rows = n / k, perRow = (k + block - 1) / block;
    std::vector<uint8_t> scales(perRow), codes(k);
    for (size_t r = 0; r < rows; ++r) {
      mxQuantize(s.element, x + r * k, k, block, scales.data(), codes.data());
      std::copy(scales.begin(), scales.end(), q.scales.begin() + r * perRow);
      std::copy(codes.begin(), codes.end(), q.codes.begin() + r * k);
    }
    return q;
  }
  std::vector<float> buf;
  std::vector<uint8_t> codes;
  forEachGroup(shape, s.extents, [&](size_t g, const std::vector<size_t> &m) {
    buf.resize(m.size());
    codes.assign(m.size(), 0);
    for (size_t j = 0; j < m.size(); ++j)
      buf[j] = x[m[j]];
    switch (s.rule) {
    case SchemeRule::MX:
      q.scales[g] = mxQuantizeBlock(s.element, buf.data(), m.size(), codes.data());
      break;
    case SchemeRule::NvFp4:
      q.scales[g] = nvfp4QuantizeBlock(buf.data(), m.size(), tensorAmax,
                                       NvFp4Rule::Exact, codes.data());
      break;
    default: {
      GroupScale gs = quantizeGroup(s.element, *intScaleRule(s.rule), buf.data(),
                                    m.size(), codes.data());
      q.scales[g] = static_cast<uint32_t>(encodeF32(s.scale, gs.scale));
      if (s.zero)
        q.zeroPoints[g] = static_cast<uint32_t>(
            s.rule == SchemeRule::MinOffset ? encodeF32(*s.zero, gs.offset)
                                            : encode(*s.zero, double(gs.zero)));
      break;
    }
    }
    for (size_t j = 0; j < m.size(); ++j)
      q.codes[m[j]] = codes[j];
  });
  return q;
}

float lowbit::num::dequantizeElement(const TensorScheme &s, const QuantizedTensor &q,
                                     size_t i, size_t g) {
  switch (s.rule) {
  case SchemeRule::MX:
    return static_cast<float>(mxDequantizeValue(
        s.element, static_cast<uint8_t>(q.scales[g]), static_cast<uint8_t>(q.codes[i])));
  case SchemeRule::NvFp4:
    return static_cast<float>(nvfp4DequantizeValue(static_cast<uint8_t>(q.scales[g]),
                                                   static_cast<uint8_t>(q.codes[i]),
                                                   q.tensorScale));
  default: {
    GroupScale gs;
    gs.scale = static_cast<float>(decode(s.scale, q.scales[g]));
    if (s.rule == SchemeRule::MinOffset) {
      gs.zero = 0;
      gs.offset = static_cast<float>(decode(*s.zero, q.zeroPoints[g]));
      return dequantizeOffsetGroupValue(s.element, gs, static_cast<uint8_t>(q.codes[i]));
    }
    gs.zero = s.zero ? static_cast<int32_t>(decode(*s.zero, q.zeroPoints[g])) : 0;
    return dequantizeGroupValue(s.element, gs, static_cast<uint8_t>(q.codes[i]));
  }
  }
}

std::vector<float> lowbit::num::dequantizeTensor(const TensorScheme &s,
                                                 const std::vector<int64_t> &shape,
                                                 const QuantizedTensor &q) {
  std::vector<float> out(numElements(shape));
  forEachGroup(shape, s.extents, [&](size_t g, const std::vector<size_t> &members) {
    for (size_t i : members)
      out[i] = dequantizeElement(s, q, i, g);
  });
  return out;
}
