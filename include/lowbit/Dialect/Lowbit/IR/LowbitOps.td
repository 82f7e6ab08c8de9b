//===- LowbitOps.td - lowbit tensor operations -------------*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITOPS_TD
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITOPS_TD

include "lowbit/Dialect/Lowbit/IR/LowbitAttrs.td"
include "lowbit/Dialect/Lowbit/IR/LowbitTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpAsmInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// An element type with a number format: the lowbit types, and the builtin
// integer and float types LowbitFormatTypeInterface is attached to.
def Lowbit_NumberType : Type<CPred<"::mlir::lowbit::hasNumberFormat($_self)">,
                             "type with a number format">;
// A tensor of codes. Shapes, encodings and schemes are the verifiers'.
def Lowbit_CodeTensor : RankedTensorOf<[Lowbit_NumberType]>;
// Real values, as quantize takes them and dequantize gives them.
def Lowbit_RealTensor : RankedTensorOf<[F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

def Lowbit_ConstantOp : Lowbit_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a constant tensor of codes";
  let description = [{
    A tensor of codes of any element type that has a number format (lowbit
    types, builtin minifloats, integers). The codes are given as raw bit
    patterns in a dense integer attribute whose element type has exactly the
    format's storage bits (`uiN` prints them as the unsigned patterns they
    are; `iN` is accepted too), because MLIR's dense attributes cannot hold
    lowbit element types. Folding `lowbit.quantize` or `lowbit.cast` of a
    constant produces these.

    ```mlir
    %w = lowbit.constant dense<[1, 15, 8, 0]> : tensor<4xui4> -> tensor<4x!lowbit.int<4>>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Lowbit_CodeTensor:$result);
  let assemblyFormat = "$value attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// quantize / dequantize
//===----------------------------------------------------------------------===//

def Lowbit_QuantizeOp : Lowbit_Op<"quantize", [Pure]> {
  let summary = "real tensor -> codes, scales (and zero points) per a scheme";
  let description = [{
    Quantizes an f32, f16 or bf16 tensor to codes of the result's element
    type under `scheme`: the scales (shape given by the scheme's groups, in
    the scheme's scale format), then the zero points for the asymmetric
    rules (in the scheme's zero format) and the f32 per-tensor scale for
    `nvfp4` (a rank-0 tensor). The numbers are those of
    `lowbit/Numerics/BlockScaling.h`; f16/bf16 inputs are widened to f32
    first.

    Quantizing a constant folds to constants at compile time, so weights are
    quantized once, by the Numerics library.

    Dimensions may be dynamic where the scheme has one group per element
    along them (activations per token, MX/NVFP4 blocks or GPTQ groups along
    K with a dynamic M); the scales' dimension is then dynamic too.

    ```mlir
    %codes, %scales = lowbit.quantize %w {scheme = #lowbit.scheme<mxfp4>}
        : tensor<64x128xf32> -> tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU>
    %q, %s, %z = lowbit.quantize %w {scheme = #lowbit.scheme<gptq_u4_g128>}
        : tensor<64x256xf32> -> tensor<64x256x!lowbit.int<4, unsigned>>,
          tensor<64x2xf16>, tensor<64x2x!lowbit.int<4, unsigned>>
    ```
  }];
  let arguments = (ins Lowbit_RealTensor:$input, Lowbit_SchemeAttr:$scheme);
  let results = (outs Lowbit_CodeTensor:$codes, AnyRankedTensor:$scales,
                      Variadic<AnyRankedTensor>:$extras);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($codes) `,` type($scales)
    (`,` type($extras)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The zero points, or null.
    ::mlir::Value getZeroPoints();
    /// The per-tensor scale, or null.
    ::mlir::Value getTensorScale();
  }];
}

def Lowbit_DequantizeOp : Lowbit_Op<"dequantize", [Pure]> {
  let summary = "codes (with their scales) -> real tensor";
  let description = [{
    Without a scheme, decodes every code to its value. With one, the
    operands after the codes are the scales, then the zero points or the
    per-tensor scale as the scheme requires, and every element is
    `value(code) * scale` (MX, NVFP4: computed exactly, then rounded once)
    or `(code - zero) * scale` in f32 (integer rules, as the reference
    frameworks compute it). The result is f32, f16 or bf16 (rounded once
    from the f32 value).

    Dimensions may be dynamic (the result's are the codes'): along one, the
    scheme has a scale per element (the scales' dimension is dynamic too)
    or one scale for the whole axis (size 1), not groups of a fixed size.

    `dequantize(quantize(x))` is not folded to `x`: it is exact only for
    special inputs, and the error is what users measure.

    ```mlir
    %x = lowbit.dequantize %codes, %scales {scheme = #lowbit.scheme<mxfp4>}
        : tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU> -> tensor<64x128xf32>
    %y = lowbit.dequantize %p : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins Lowbit_CodeTensor:$codes,
                       Variadic<AnyRankedTensor>:$params,
                       OptionalAttr<Lowbit_SchemeAttr>:$scheme);
  let results = (outs Lowbit_RealTensor:$result);
  let assemblyFormat = [{
    $codes (`,` $params^)? attr-dict `:` type($codes) (`,` type($params)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

def Lowbit_CastOp : Lowbit_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "element format conversion under an explicit policy";
  let description = [{
    Converts every element to the result's element format, rounded once
    from its exact value under `rounding` (`rne` default, `rtz`, `ru`, `rd`,
    `rna`) and `overflow` (`saturate` default, `inf`, `nan`; see
    docs/numerics.md for the fallbacks in formats without Inf or NaN), both
    enum attributes written as keywords (as `arith.truncf`'s rounding mode).
    Either side may be f32/f16/bf16, a builtin integer or minifloat, or a
    lowbit type. Stochastic rounding needs random bits per element and is
    not a cast. A cast of a constant folds to constant codes (by the
    Numerics library) at compile time. The result has the input's shape,
    dynamic dimensions included.

    ```mlir
    %y = lowbit.cast %x rounding rtz overflow saturate
        : tensor<8xf32> to tensor<8x!lowbit.float<e3m2>>
    ```
  }];
  let arguments = (ins Lowbit_CodeTensor:$input,
                       DefaultValuedAttr<Lowbit_RoundingMode,
                                         "::mlir::lowbit::RoundingMode::NearestEven">:$rounding,
                       DefaultValuedAttr<Lowbit_OverflowMode,
                                         "::mlir::lowbit::OverflowMode::Saturate">:$overflow);
  let results = (outs Lowbit_CodeTensor:$result);
  let assemblyFormat = [{
    $input (`rounding` $rounding^)? (`overflow` $overflow^)? attr-dict `:` type($input) `to`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The Numerics library's policy of this cast.
    ::lowbit::num::EncodePolicy getPolicy();
  }];
}

//===----------------------------------------------------------------------===//
// mpgemm
//===----------------------------------------------------------------------===//

def Lowbit_MpGemmOp : Lowbit_Op<"mpgemm", [Pure, AttrSizedOperandSegments]> {
  let summary = "mixed-precision matrix product C = A x B or A x B^T";
  let description = [{
    `A` is M x K of any format: f32/f16/bf16, a builtin integer, or codes of
    a lowbit or builtin format, optionally with scales per `a_scheme` (the
    operands in brackets after it). `B` holds codes, K x N, or N x K with
    `transpose_b` (weights stored row per output channel), with scales per
    `b_scheme`. Each product is taken on the dequantized values (as
    `lowbit.dequantize` gives them, in f32) and accumulated in `acc_type`:

    * `f32` (or `f64`): products and sums in that type, in an unspecified
      order over k (the reference lowering lets LLVM reassociate the sum to
      vectorize it; lowbit-run --check bounds the error for any order);
    * `i32`: both operands integer codes (int<N>, int<N, unsigned>, bipolar,
      ternary, i8) and products accumulated exactly in int32; a scheme is
      then only allowed per tensor or per channel (a scale that is constant
      along K), applied to the sum in f32, with zero points subtracted from
      the codes first.

    The result element type is f32, f16 or bf16 (rounded once from the
    accumulator), or i32 with an i32 accumulator and no scales.

    M (dimension 0 of A and C, the batch or token dimension) may be dynamic,
    in A and C alike, and then in A's per-row scales too; K, N and B are
    static.

    `b_layout` (set by `lowbit-plan-layout`) is the storage layout planned
    for B's codes; `lowbit-fold-repack` makes it real. It does not change
    the result.

    ```mlir
    %c = lowbit.mpgemm %a, %w [%s, %z]
        {b_scheme = #lowbit.scheme<gptq_u4_g128>, acc_type = f32, transpose_b}
        : tensor<8x256xf16>, tensor<64x256x!lowbit.int<4, unsigned>>
          [tensor<64x2xf16>, tensor<64x2x!lowbit.int<4, unsigned>>]
        -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Lowbit_CodeTensor:$a,
                       Variadic<AnyRankedTensor>:$a_params,
                       Lowbit_CodeTensor:$b,
                       Variadic<AnyRankedTensor>:$b_params,
                       OptionalAttr<Lowbit_SchemeAttr>:$a_scheme,
                       OptionalAttr<Lowbit_SchemeAttr>:$b_scheme,
                       UnitAttr:$transpose_b,
                       TypeAttr:$acc_type,
                       OptionalAttr<Lowbit_LayoutAttr>:$b_layout);
  let results = (outs AnyRankedTensor:$c);
  let assemblyFormat = [{
    $a (`[` $a_params^ `]`)? `,` $b (`[` $b_params^ `]`)? attr-dict `:`
    type($a) (`[` type($a_params)^ `]`)? `,` type($b)
    (`[` type($b_params)^ `]`)? `->` type($c)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getM() { return getA().getType().getDimSize(0); }
    int64_t getK() { return getA().getType().getDimSize(1); }
    int64_t getN() { return getC().getType().getDimSize(1); }
  }];
}

//===----------------------------------------------------------------------===//
// pack / unpack
//===----------------------------------------------------------------------===//

def Lowbit_PackOp : Lowbit_Op<"pack", [Pure]> {
  let summary = "codes -> bytes, in a bit order or a bit layout";
  let description = [{
    With `order`, packs the codes of each row (the last axis) densely into
    bytes: K codes of b bits take ceil(K * b / 8) bytes and every row starts
    on a byte. `lsb_first` puts code i at bits [i*b, (i+1)*b) counting from
    the least significant bit of byte 0 (the DLPack and llama.cpp
    convention); `msb_first` fills each byte from its most significant bit
    and writes each code top bit first (int4 [1, 2] -> 0x12). Padding bits
    are 0.

    With a `layout` (`#lowbit.layout<bits<...>>`, see the layout
    attribute), the codes of a rows x k matrix (or of a vector) go to the
    storage bits the layout gives, in one 1-D byte tensor: bit planes, tiled
    planes, interleaves. Packing a constant folds at compile time.

    ```mlir
    %p = lowbit.pack %codes order lsb_first
        : tensor<64x128x!lowbit.int<4>> -> tensor<64x64xi8>
    %q = lowbit.pack %codes {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>}
        : tensor<64x128x!lowbit.int<4>> -> tensor<4096xi8>
    ```
  }];
  let arguments = (ins Lowbit_CodeTensor:$codes, OptionalAttr<Lowbit_BitOrder>:$order,
                       OptionalAttr<Lowbit_LayoutAttr>:$layout);
  let results = (outs AnyRankedTensor:$packed);
  let assemblyFormat = [{
    $codes (`order` $order^)? attr-dict `:` type($codes) `->` type($packed)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lowbit_UnpackOp : Lowbit_Op<"unpack", [Pure]> {
  let summary = "bytes -> codes, the inverse of lowbit.pack";
  let description = [{
    Reads codes from bytes packed by `lowbit.pack` with the same `order` or
    `layout`; the result type says the format and the shape.

    ```mlir
    %codes = lowbit.unpack %p order lsb_first
        : tensor<64x64xi8> -> tensor<64x128x!lowbit.int<4>>
    %w = lowbit.unpack %q {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>}
        : tensor<4096xi8> -> tensor<64x128x!lowbit.int<4>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$packed, OptionalAttr<Lowbit_BitOrder>:$order,
                       OptionalAttr<Lowbit_LayoutAttr>:$layout);
  let results = (outs Lowbit_CodeTensor:$codes);
  let assemblyFormat = [{
    $packed (`order` $order^)? attr-dict `:` type($packed) `->` type($codes)
  }];
  let hasVerifier = 1;
}

def Lowbit_ToStorageOp : Lowbit_Op<"to_storage", [Pure]> {
  let summary = "a tensor of codes as the storage tensor lowered code holds";
  let description = [{
    The same data seen as its storage (the dialect's storage ABI,
    `lowbit/Dialect/Lowbit/IR/StorageTypes.h`): one code per i8, i16 or i32
    element by the format's width, in its low bits; for a tensor with a
    `#lowbit.layout<bits<...>>` encoding, the layout's bytes as one 1-D i8
    tensor. The result type must be that storage type. Kernels that read
    codes directly from memory use it on run-time operands (the x86
    kernels read run-time weights and scales through it);
    `convert-lowbit-to-linalg` replaces it by its converted operand, so it
    costs nothing.

    ```mlir
    %s = lowbit.to_storage %w : tensor<16x64x!lowbit.int<4>> -> tensor<16x64xi8>
    %p = lowbit.to_storage %v
        : tensor<16x64x!lowbit.int<4>, #lowbit.layout<bits<lsb_first, 4>>> -> tensor<512xi8>
    ```
  }];
  let arguments = (ins Lowbit_CodeTensor:$codes);
  let results = (outs AnyRankedTensor:$storage);
  let assemblyFormat = "$codes attr-dict `:` type($codes) `->` type($storage)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lowbit_PureIntrinsicOp : Lowbit_Op<"pure_intrinsic", [Pure]> {
  let summary = "an LLVM intrinsic without memory effects, on scalars and vectors";
  let description = [{
    Calls the LLVM intrinsic `intrin` on register values: the kernels that
    `convert-lowbit-to-x86` generates use it for byte shuffles and integer
    dot products that no upstream dialect has (vpshufb, vpdpbusd,
    vpmaddubsw). Unlike `llvm.call_intrinsic` it declares that it has no
    memory effects, so bufferization and buffer deallocation accept it; it
    becomes `llvm.call_intrinsic` after them (`convert-lowbit-intrinsics-to-llvm`),
    and `lowbit-check-target-features` checks the target has it.

    ```mlir
    %d = lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a)
        : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
    ```
  }];
  let arguments = (ins StrAttr:$intrin, Variadic<AnyTypeOf<[AnyVectorOfAnyRank, AnySignlessInteger, AnyFloat]>>:$args);
  let results = (outs AnyTypeOf<[AnyVectorOfAnyRank, AnySignlessInteger, AnyFloat]>:$result);
  let assemblyFormat = "$intrin `(` $args `)` attr-dict `:` functional-type($args, $result)";
  let hasVerifier = 1;
}

def Lowbit_PrefetchOp : Lowbit_Op<"prefetch"> {
  let summary = "a hint that an element of a tensor is read soon";
  let description = [{
    Asks for the cache line holding the element at `indices` to be fetched
    into the data cache ahead of its read. It changes no value and reads
    nothing a program can observe; an index out of the tensor's bounds is
    allowed and clamped to the last element. The x86 kernels use it for
    weight streams whose consumption is too slow for the hardware
    prefetchers to run ahead (a product of several activation rows).
    Bufferization makes it `memref.prefetch` (read, locality 3, data);
    it has no memory effect interface, so that no cleanup erases it.

    ```mlir
    lowbit.prefetch %weights[%i] : tensor<1048576xi8>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$tensor, Variadic<Index>:$indices);
  let assemblyFormat = "$tensor `[` $indices `]` attr-dict `:` type($tensor)";
  let hasVerifier = 1;
}

#endif // LOWBIT_DIALECT_LOWBIT_IR_LOWBITOPS_TD
