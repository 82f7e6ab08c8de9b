//===- LowbitAttrs.td - lowbit attributes ------------------*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITATTRS_TD
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITATTRS_TD

include "lowbit/Dialect/Lowbit/IR/LowbitBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/TensorEncoding.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Lowbit_ScaleRule : I32EnumAttr<"ScaleRule", "how a group's scale is chosen", [
    I32EnumAttrCase<"MX", 0, "mx">,
    I32EnumAttrCase<"NvFp4", 1, "nvfp4">,
    I32EnumAttrCase<"AbsMax", 2, "absmax">,
    I32EnumAttrCase<"GptqMinMax", 3, "gptq">,
    I32EnumAttrCase<"AwqMinMax", 4, "awq">,
    I32EnumAttrCase<"MinOffset", 5, "min_offset">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def Lowbit_Granularity : I32EnumAttr<"Granularity", "which elements share a scale", [
    I32EnumAttrCase<"Tensor", 0, "tensor">,
    I32EnumAttrCase<"Channel", 1, "channel">,
    I32EnumAttrCase<"Group", 2, "group">,
    I32EnumAttrCase<"Block", 3, "block">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def Lowbit_BitOrder : I32EnumAttr<"BitOrder", "order of the codes' bits in a byte", [
    I32EnumAttrCase<"LSBFirst", 0, "lsb_first">,
    I32EnumAttrCase<"MSBFirst", 1, "msb_first">]> {
  let cppNamespace = "::mlir::lowbit";
}

def Lowbit_RoundingMode : I32EnumAttr<"RoundingMode", "how a conversion rounds", [
    I32EnumAttrCase<"NearestEven", 0, "rne">,
    I32EnumAttrCase<"TowardZero", 1, "rtz">,
    I32EnumAttrCase<"Up", 2, "ru">,
    I32EnumAttrCase<"Down", 3, "rd">,
    I32EnumAttrCase<"NearestAway", 4, "rna">]> {
  let cppNamespace = "::mlir::lowbit";
  let description = [{
    Rounded once from the exact value: to nearest with ties to even (`rne`),
    toward zero (`rtz`), up (`ru`), down (`rd`), to nearest with ties away
    from zero (`rna`). The values are those of `lowbit::num::Rounding`.
  }];
}

def Lowbit_OverflowMode : I32EnumAttr<"OverflowMode", "what a value beyond the largest becomes", [
    I32EnumAttrCase<"Saturate", 0, "saturate">,
    I32EnumAttrCase<"Inf", 1, "inf">,
    I32EnumAttrCase<"NaN", 2, "nan">]> {
  let cppNamespace = "::mlir::lowbit";
  let description = [{
    The largest finite value (`saturate`), infinity (`inf`) or NaN (`nan`);
    docs/numerics.md gives the fallbacks of formats without them. The values
    are those of `lowbit::num::Overflow`.
  }];
}

def Lowbit_LayoutKind : I32EnumAttr<"LayoutKind", "kind of a layout attribute", [
    I32EnumAttrCase<"Affine", 0, "affine">,
    I32EnumAttrCase<"Swizzle", 1, "swizzle">,
    I32EnumAttrCase<"Bits", 2, "bits">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def Lowbit_BitLayoutKind : I32EnumAttr<"BitLayoutKind", "a family of bit layouts", [
    I32EnumAttrCase<"LSBFirst", 0, "lsb_first">,
    I32EnumAttrCase<"MSBFirst", 1, "msb_first">,
    I32EnumAttrCase<"Interleaved", 2, "interleaved">,
    I32EnumAttrCase<"Planes", 3, "planes">,
    I32EnumAttrCase<"PlanesTiled", 4, "planes_tiled">,
    I32EnumAttrCase<"NibblePlanes", 5, "nibble_planes">,
    I32EnumAttrCase<"NibbleLanes", 6, "nibble_lanes">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

def Lowbit_LayoutAttr : AttrDef<Lowbit_Dialect, "Layout",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = "layout";
  let summary = "a data layout: CuTe shape:stride, an F2 swizzle, or a bit layout";
  let description = [{
    Three forms, all backed by the `lowbit/Layout` library (see
    docs/layouts.md for the notation and the algebra):

    * `#lowbit.layout<(4,(2,2)):(2,(1,8))>`: a hierarchical shape:stride
      layout in CuTe notation (a bare shape is column-major). Printed in
      the library's canonical form.
    * `#lowbit.layout<swizzle<B, M, S>>`: CuTe's `Swizzle<B, M, S>`, the
      F2-linear map that XORs the B bits at M + S into the B bits at M.
    * `#lowbit.layout<bits<KIND, W, ...>>`: where every bit of every W-bit
      code of a rows x k matrix (row-major elements) is stored:
      `bits<lsb_first, W>` and `bits<msb_first, W>` (dense),
      `bits<interleaved, W, [0, 2, 4, 6, 1, 3, 5, 7]>` (slot j of each
      group holds element order[j]), `bits<planes, W>` ([bit][row][k]) and
      `bits<planes_tiled, W, T>` (bit planes tiled in words of T
      consecutive k) and `bits<nibble_planes, W, B>` (the x86 lookup-table
      kernel's order: 16-row tiles, per block of B k the W planes of
      vectors of 16 rows x 32 k, each nibble 4 consecutive k; rows a
      multiple of 16, k of B, B of 32; read by `vpermb`) and
      `bits<nibble_lanes, W, B>` (the same planes in the order of the
      `vpshufb` tables: in each 32-byte half of a vector, byte i of 128-bit
      lane l holds row i's groups 2 l and 2 l + 1 of that half's 16 k).
      `lowbit.pack`/`lowbit.unpack` take these, `lowbit-plan-layout`
      assigns them to matrix weights and `lowbit-bitplane-decompose` plans
      nibble planes or lanes for the x86 kernels of the target.

    A bit layout is also a tensor encoding: `tensor<8x64x!lowbit.int<4>,
    #lowbit.layout<bits<planes_tiled, 4, 32>>>` holds 8 x 64 codes stored
    in that layout (the reference lowering turns it into the layout's 256
    bytes, so function arguments and results pass the packed weights).
    `lowbit.constant` (packed at compile time) and `lowbit.pack` produce
    such tensors and `lowbit.unpack` reads them; other ops need plain codes
    and say so. Every tensor type with this encoding is checked where it is
    written (the parser reports it at its location): only bit layouts, for
    an element type with a number format of the layout's code width, on a
    static vector or matrix the layout fits.

    ```mlir
    #a = #lowbit.layout<(4,(2,2)):(2,(1,8))>
    #s = #lowbit.layout<swizzle<3, 4, 3>>
    #p = #lowbit.layout<bits<planes_tiled, 4, 32>>
    ```
  }];
  let parameters = (ins "::mlir::lowbit::LayoutKind":$kind,
                        StringRefParameter<"CuTe text of an affine layout">:$cute,
                        "::mlir::lowbit::BitLayoutKind":$bitKind,
                        ArrayRefParameter<"int64_t">:$args);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The shape:stride layout (affine form only).
    ::lowbit::layout::Layout getAffineLayout() const;
    /// Bits of one code (bits form only).
    unsigned getElementBits() const { return static_cast<unsigned>(getArgs()[0]); }
    /// The bit layout of a rows x k row-major matrix of codes (bits form).
    ::lowbit::layout::Expected<::lowbit::layout::BitLayout>
    getBitLayout(int64_t rows, int64_t k) const;
  }];
}

//===----------------------------------------------------------------------===//
// Scheme
//===----------------------------------------------------------------------===//

def Lowbit_SchemeAttr : AttrDef<Lowbit_Dialect, "Scheme"> {
  let mnemonic = "scheme";
  let summary = "a scaling scheme: which elements share a scale, and how it is chosen";
  let description = [{
    A scheme says how a tensor of real numbers becomes codes plus scales
    (and zero points):

    * granularity: `tensor` (one scale), `channel` (one scale per index of
      every axis but `axis`), `group = G` (runs of G consecutive elements
      along `axis`; the last run may be shorter where the rule allows it) or
      `block = [B0, B1]` (2-D tiles of the last two axes);
    * `axis`: the axis along which elements share a scale (default -1, the
      last axis; negative values count from the end);
    * `rule`: `mx` (OCP MX: scale 2^(floor(log2 amax) - emax), E8M0),
      `nvfp4` (E4M3 block scale and an f32 per-tensor scale, every stored
      quantity rounded once from exact values), `absmax` (symmetric:
      scale = amax / qmax), `gptq` and `awq` (asymmetric min/max with an
      integer zero point, value = (q - zero) * scale; GPTQ's range always
      includes 0), `min_offset` (asymmetric with a float offset, value =
      q * scale + offset: llama.cpp's Q4_1, Q5_1 and K-quant blocks with a
      minimum; quantized with offset = min);
    * `scale`: the scale format (`f8E8M0FNU`, `f8E4M3FN`, `f16`, `bf16`,
      `f32`), `zero`: the zero-point format (integer rules `gptq`/`awq`),
      `offset`: the offset format of `min_offset` (`f16`, `bf16`, `f32`);
    * `element`: the code format the scheme is made for, if it fixes one
      (the presets do).

    Presets name the common schemes: `mxfp8_e4m3`, `mxfp8_e5m2`,
    `mxfp6_e3m2`, `mxfp6_e2m3`, `mxfp4`, `mxint8` (MX blocks of 32 along the
    last axis), `nvfp4` (blocks of 16), `gptq_u4_g128`, `awq_u4_g128`
    (uint4 codes, groups of 128, f16 scales, uint4 zero points) and
    `int8_per_channel` (absmax per output channel, f32 scales). A scheme
    equal to a preset prints as the preset's name.

    The numbers come from `lowbit/Numerics/BlockScaling.h`; the policies
    (zero blocks, rounding of stored scales) are in docs/schemes.md.

    ```mlir
    #mx = #lowbit.scheme<mxfp4>
    #g = #lowbit.scheme<rule = gptq, group = 64, scale = f32, zero = !lowbit.int<4, unsigned>>
    #c = #lowbit.scheme<rule = absmax, channel, axis = 1, scale = f32>
    #b = #lowbit.scheme<rule = absmax, block = [32, 32], scale = bf16>
    #q4_1 = #lowbit.scheme<rule = min_offset, group = 32, scale = f16, offset = f16>
    ```
  }];
  let parameters = (ins
    "::mlir::lowbit::ScaleRule":$rule,
    "::mlir::lowbit::Granularity":$granularity,
    "int64_t":$axis,
    "int64_t":$groupSize,
    ArrayRefParameter<"int64_t">:$block,
    "::mlir::Type":$scaleType,
    OptionalParameter<"::mlir::Type">:$zeroType,
    OptionalParameter<"::mlir::Type">:$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The preset of this name, or null.
    static SchemeAttr getPreset(::mlir::MLIRContext *ctx, ::llvm::StringRef name);
    /// The preset name this scheme equals, or empty.
    ::llvm::StringRef getPresetName() const;
    /// The axis as a non-negative index for a tensor of `rank` axes.
    int64_t getAxisIn(int64_t rank) const;
    /// Elements of one scale group along each axis of a tensor of this shape
    /// (the whole axis where the group spans it: ShapedType::kDynamic where
    /// that axis is dynamic).
    ::llvm::SmallVector<int64_t> getGroupExtents(::llvm::ArrayRef<int64_t> shape) const;
    /// The shape of the scales (and zero points) of a tensor of this shape:
    /// along a dynamic axis, dynamic where each element has its own scale
    /// (group extent 1), 1 where the group spans the axis, dynamic too for
    /// groups of a fixed size (which the op verifiers refuse there).
    ::llvm::SmallVector<int64_t> getScaleShape(::llvm::ArrayRef<int64_t> shape) const;
    /// Whether the rule stores a second tensor per group, after the scales:
    /// an integer zero point (gptq, awq) or a float offset (min_offset).
    bool hasZeroPoint() const;
    /// Whether that tensor is min_offset's float offset.
    bool hasOffset() const;
    /// Whether the rule stores a second-level f32 scale for the tensor.
    bool hasTensorScale() const;
    /// Whether the last group along an axis may be shorter than the others.
    bool allowsPartialGroups() const;
    /// Empty if codes of `element` can be produced by this scheme, else why.
    std::string checkElementType(::mlir::Type element) const;
  }];
}

#endif // LOWBIT_DIALECT_LOWBIT_IR_LOWBITATTRS_TD
