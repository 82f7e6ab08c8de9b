//===- KernelPlan.h - What an x86 mpGEMM kernel reads ----------*- C++ -*-===//
//
// The compile-time half of convert-lowbit-to-x86 (MpGemmToX86.cpp emits the
// code): which kernel takes a product (byte-dot, lookup tables or bf16: the
// cost model), its weights in the kernel layout (constants) or how run-time
// weights are read, its scale tables, activation block and passes. Internal to
// lib/Conversion/LowbitToX86.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOX86_KERNELPLAN_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOX86_KERNELPLAN_H

#include "lowbit/Conversion/LowbitToX86/LowbitToX86.h"
#include "lowbit/Conversion/LowbitToX86/WeightCodes.h"
#include "lowbit/Conversion/LowbitToX86/WeightPacking.h"

#include <string>
#include <vector>

namespace mlir::lowbit::x86kernel {
namespace x86 = ::lowbit::x86;

/// How one vector of 64 operand bytes is multiplied with 64 int8 bytes.
enum class DotISA {
  VNNI512, ///< vpdpbusd zmm: exact, operands up to 255
  BW512,   ///< vpmaddubsw + vpmaddwd zmm: exact while 2 * 127 * operand fits int16
  AVX2,    ///< the same on two ymm halves
  /// AArch64 NEON, the 64 bytes as four q registers: usdot (i8mm), exact,
  /// operands up to 255.
  NeonUSDot,
  /// sdot (dotprod): signed x signed, exact; an operand above 127 is
  /// taken as (operand xor 0x80) - 128, i.e. sdot of operand xor 0x80 plus
  /// 128 times the activations' sum (a second sdot with ones).
  NeonSDot,
};

inline bool isNeon(DotISA isa) { return isa == DotISA::NeonUSDot || isa == DotISA::NeonSDot; }

/// Independent f32 accumulators per row of the bf16 kernel.
constexpr int64_t kBF16Chains = 2;

/// The largest operand vpmaddubsw sums in pairs without saturating int16.
constexpr unsigned kMaxPairOperand = 129;

struct KernelPlan {
  DotISA isa = DotISA::VNNI512;
  x86::WeightCodes codes;
  /// The bf16 kernel (formats no byte operand holds): codes decoded to
  /// bf16 in registers, vdpbf16ps with bf16 activations; `codes` then holds
  /// the raw code as the slot (alpha 1, beta 0).
  bool bf16 = false;
  x86::BF16WeightCodes bf16Codes;
  /// The f32 kernel (formats no byte operand holds, targets without the
  /// bf16 kernel): codes decoded to f32 in registers by integer arithmetic
  /// (F32WeightDecode), f32 FMA with the activations as they are (no
  /// quantization), two fixed chains like the bf16 kernel; `codes` then
  /// holds the raw code as the slot.
  bool f32Decode = false;
  x86::F32WeightDecode f32Codes;
  /// The lookup-table kernel (integer weights, constant or in nibble
  /// planes; float activations): the operand's bits as 1-bit planes whose
  /// nibbles index per-row tables of the 16 sums of 4 activations (int8,
  /// one scale per block), looked up by vpermb and summed with the plane's
  /// weight 2^p by vpdpbusd (AVX-512 VBMI + VNNI), else by vpshufb and
  /// vpmaddubsw (shape.lutLanes). `shape` then has lutNibbles.
  bool lut = false;
  /// The vpshufb tables (shape.lutLanes) on zmm (AVX-512BW): one lookup
  /// covers 32 k, 4 groups' tables, stored per 32 k as the low-nibble
  /// tables of both 16 k, then the high-nibble ones; else on ymm, 16 k.
  bool lutWide = false;
  /// Exact tables (X86TableKind::Exact, and int8 activations): per 16 k
  /// the int16 entries of the int8 activations as a table of low bytes
  /// and one of high bytes (64 each), both looked up by vpermb; vpdpbusd
  /// sums the low bytes (unsigned) times 2^p and the high ones (signed)
  /// times 2^p apart; per block sum = low + 256 high, and the operand's
  /// dot product (sum + (2^b - 1) * the block's activation sum) / 2,
  /// exactly the byte-dot kernel's. Only with vpermb (not lutLanes).
  bool lutExact = false;
  /// The weights are stored in the kernel's nibble planes already (B =
  /// lowbit.unpack of bytes in a bits<nibble_planes, W, kb> layout, or
  /// bits<nibble_lanes, W, kb> for vpshufb): read
  /// as they are, constant or run-time; plane p inverted where bit p of
  /// planeXor is set (the operand is the code xor planeXor).
  bool prepacked = false;
  uint8_t planeXor = 0;
  /// Subtracted from every zb (the lookup-table kernel's tables are of the
  /// +-1 form: an operand of b bits sums to half the tables' sum plus
  /// (2^b - 1) / 2 times the activations' sum).
  double zbShift = 0;
  x86::KernelShape shape;
  int64_t m = 0;
  int64_t kb = 0;          ///< activation block
  int64_t numBlocks = 0;   ///< cols / kb
  int64_t blocksPerGroup = 0; ///< activation blocks per scale group (numGroups > 1)
  int64_t numGroups = 1;
  int64_t prefetchDistance = 0; ///< bytes; 0: none
  int64_t maxRowsPerPass = 8;
  std::vector<uint8_t> weights;
  std::vector<float> sw, zb; ///< [row tile][group][16]
  bool swUniform = true, zbUniform = true;

  /// int8 activations, used as they are (no run-time quantization).
  bool intActivations = false;
  /// i32 accumulation: one exact int32 sum over all of K per output, then
  /// alpha * sum + offset * rowsum, as an i32 result or scaled once in f32
  /// (float(sum) * factorA * factorB, the reference's operation order).
  bool intResult = false;
  int32_t alpha = 1;
  std::vector<int32_t> offset; ///< [row tile][16]: beta - zero point
  std::vector<float> fb;       ///< [row tile][16]: B's scale factor (with a b_scheme)
  bool offsetUniform = true, fbUniform = true;
  bool bScaled = false, aScaled = false;
  bool aScalePerRow = false; ///< A's scale tensor is M x 1 (else 1 x 1)

  /// Run-time weights (not a constant): read from their storage (one code
  /// per byte, N x K) by 16 row reads per block and an in-register
  /// transpose, each code masked to its bits and xor-ed with `codeXor`
  /// into its operand (or mapped by a table).
  bool runtimeWeights = false;
  uint8_t codeXor = 0;
  uint8_t codeMask = 0xff; ///< the code's bits in its storage byte
  /// Packed run-time weights (lowbit.unpack of lsb_first bytes, 1, 2, 4 or
  /// 8 bits per code): each row's bytes read as they are, slots of 8 / w
  /// codes per byte; the activations of each 32 / w k are permuted so that
  /// slot s of byte j (k = j * 8 / w + s) meets its activation.
  bool runtimePacked = false;
  bool packedFlat = false;      ///< 1-D bytes (a layout encoding), else N x bytes per row
  int64_t rowBytesPerBlock = 0; ///< bytes of one row in one block of kb k
  /// Run-time scales: sw and zb computed per (row tile, scale group) from
  /// the scale tensors instead of compile-time tables.
  bool runtimeScales = false;
  double mxFactor = 1; ///< MXINT8: elements are k / 64
};

/// The codes (as u64 bit patterns) of a constant tensor, row-major, or
/// nullopt where it is not a constant.
std::optional<std::vector<uint64_t>> constantCodes(Value v);

/// The constant x with operand(code) = code ^ x for every code, all of
/// them finite (codes stored as they are, read as operands), or nullopt.
std::optional<uint8_t> operandXor(const x86::WeightCodes &codes);

/// The bit-serial kernel of a WpAq product (BitSerialKernel.cpp): low-bit
/// integer activation codes (run time) x constant integer weights, i32.
struct BitSerialPlan {
  int64_t m = 0, n = 0, k = 0;
  int64_t words = 0; ///< 64-bit words per plane row (K padded to 512 bits)
  int64_t cols = 0;  ///< N padded to the 16-row tile
  unsigned p = 0, q = 0; ///< weight and activation planes
  uint8_t aXor = 0, aMask = 0; ///< activation operand = (code xor aXor) & aMask
  int32_t alphaA = 1, betaA = 0, alphaW = 1, betaW = 0; ///< value = alpha * u + beta
  std::vector<uint64_t> wPlanes; ///< [cols][p][words]
  std::vector<int32_t> wSums;    ///< [cols]: each row's sum of operands
};

/// A product the bit-serial kernel is for: activations of a lowbit integer
/// format of at most 8 bits (not builtin i8, which the byte-dot kernel
/// takes as it is).
bool isBitSerialCandidate(MpGemmOp op);
/// Its plan, or failure with the reason.
FailureOr<BitSerialPlan> planBitSerial(MpGemmOp op, const X86KernelOptions &options,
                                       std::string &whyNot, bool checkOnly = false);
/// The cost model between the bit-serial kernel and the byte-dot kernel on
/// the activations as i8 (BitSerialKernel.cpp).
bool bitSerialPays(const BitSerialPlan &plan, const ::lowbit::target::CPUTarget &target);
/// Replaces `op` by the kernel.
LogicalResult lowerBitSerial(RewriterBase &rewriter, MpGemmOp op, const BitSerialPlan &plan);

/// The dense f32 kernel (DenseF32Kernel.cpp): f32 activations x constant
/// f32 weights (no schemes), f32 accumulation and result.
struct DenseF32Plan {
  int64_t m = 0, n = 0, k = 0;
  int64_t cols = 0; ///< N padded to the tiles
  /// Columns firstCol .. firstCol + tiles * 16 * vectors - 1, in tiles of
  /// `vectors` vectors of 16 columns.
  struct TileGroup {
    int64_t firstCol = 0, tiles = 0;
    int64_t vectors = 1; ///< vectors of 16 columns per tile row
    int64_t rows = 8;    ///< activation rows per pass (their sums in registers)
    std::vector<float> weights; ///< [tiles][k][16 vectors], zero past N
    int64_t tileCols() const { return 16 * vectors; }
  };
  /// Tiles of 32 columns, then of 16 for the rest (or of 16 only).
  std::vector<TileGroup> groups;
};

/// A product the dense f32 kernel is for: f32 weights without a scheme.
bool isDenseF32Candidate(MpGemmOp op);
/// Its plan, or failure with the reason (`checkOnly`: no weights packed).
FailureOr<DenseF32Plan> planDenseF32(MpGemmOp op, const X86KernelOptions &options,
                                     std::string &whyNot, bool checkOnly = false);
/// Replaces `op` by the kernel.
LogicalResult lowerDenseF32(RewriterBase &rewriter, MpGemmOp op, const DenseF32Plan &plan);

/// The kernel for `op`, or failure with the reason. With `checkOnly` the
/// checks alone (no weights packed, no tables built): whyNotLowerableToX86
/// asks for every product the autotuner and the remarks look at.
FailureOr<KernelPlan> planKernel(MpGemmOp op, const X86KernelOptions &options,
                                 std::string &whyNot, bool checkOnly = false);

} // namespace mlir::lowbit::x86kernel

#endif
