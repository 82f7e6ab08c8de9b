//===- Passes.td - lowbit conversion passes ----------------*- tablegen -*-===//
#ifndef LOWBIT_CONVERSION_PASSES_TD
#define LOWBIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLowbitToLinalg : Pass<"convert-lowbit-to-linalg", "ModuleOp"> {
  let summary = "Lower lowbit ops to linalg/arith/math on standard types";
  let description = [{
    The reference lowering: every lowbit op becomes `linalg.generic` (and
    `tensor` reshapes) on builtin types, so that the standard bufferization
    and LLVM pipelines finish the job.

    * Tensors of codes become tensors of their storage: one code per byte
      (i8) for formats of at most 8 bits, i16 up to 16 bits, i32 above;
      f32/f16/bf16 and i8/i16/i32/i64 stay. Function signatures change
      accordingly, so a caller passes one code per byte, LSB-aligned.
    * Decoding reads a constant table of every code's value, computed by
      the Numerics library; encoding searches a constant table of the f64
      bit patterns where the code changes (`lowbit/Numerics/CodeSteps.h`),
      found with the library's encoder. Generated code therefore gives the
      library's bits by construction, for every format of at most 16 bits.
      Wider integers are decoded arithmetically; other formats wider than
      16 bits (posit<32, 2>, float<e8m20>, ...) and every encode to a
      format wider than 16 bits call the runtime's Numerics codec
      (`lowbit_rt_decode` / `lowbit_rt_encode`, declared in the module; the
      JIT provides them), since a table of 2^32 codes is not an option.
    * `lowbit.quantize` computes group statistics with a reduction over the
      tensor reshaped to (groups, group extent) per axis, then scales and
      codes with the library's operation order (docs/schemes.md).
    * `lowbit.mpgemm` sums over k in an `scf.for` with the accumulators in
      registers, decoding and scaling both operands in the loop; rows go in
      blocks of up to 8 summed together so that each code of B is decoded
      once per block (`scf.for` over blocks and columns with
      `tensor.insert`; a `linalg.generic` over (m, n) when M has no such
      divisor). Float accumulation is marked `reassoc` so LLVM may
      vectorize the sums (the end-to-end tests bound the error for any
      order).

    Example:

    ```mlir
    // Before
    %y = lowbit.dequantize %c : tensor<16x!lowbit.posit<8, 0>> -> tensor<16xf32>
    // After (sketch)
    %table = arith.constant dense<[0.0, 1.5625e-02, ...]> : tensor<256xf32>
    %y = linalg.generic {...} ins(%c : tensor<16xi8>) outs(%e : tensor<16xf32>) {
    ^bb0(%code: i8, %out: f32):
      %i = arith.index_cast ... ; %v = tensor.extract %table[%i] : tensor<256xf32>
      linalg.yield %v : f32
    } -> tensor<16xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def ConvertLowbitToX86 : Pass<"convert-lowbit-to-x86", "ModuleOp"> {
  let summary = "Lower lowbit.mpgemm to the CPU kernels: x86 (AVX2, AVX-512, VNNI) and AArch64 (NEON, dotprod, i8mm)";
  let description = [{
    Rewrites each `lowbit.mpgemm` that a kernel of `target` covers into
    vector code, and leaves every other op for `convert-lowbit-to-linalg`
    (the reference lowering, which stays the oracle and the fallback). The
    AArch64 targets get the same kernels with their instructions (`sdot` /
    `usdot` on four q registers, `tbl` lookups; no bf16 kernel), see
    docs/cpu-kernels.md:

    * weights: constants, or run-time values (N x K: one code per byte, or
      `lowbit.unpack` of packed lsb_first rows, read as they are), with
      constant or run-time scales; codes of at most 8 bits whose values are evenly
      spaced (every integer format: signed, unsigned, bipolar, ternary,
      int8) or, up to 4 bits, integers times a power of two (e2m1, small
      minifloats and posits), with or without a scheme (MX, NVFP4, GPTQ/AWQ,
      absmax; per tensor, channel, group or block). Constant weights are
      repacked at compile time into tiles of 16 output rows x 4 consecutive
      k (see docs/cpu-kernels.md), constant scales folded into f32 tables;
      run-time weights are transposed into those tiles in registers, a
      block at a time;
    * weights of at most 8 bits that no byte operand holds (e4m3, e5m2,
      e3m2, posit<8, *>, MXFP8) on targets with AVX-512 BF16 and VBMI: the
      bf16 kernel, codes decoded to bf16 in registers by byte lookups
      (`vpermb` / `vpermi2b`) and multiplied with bf16 activations (rows
      scaled by a power of two) by `vdpbf16ps`; without them the f32 kernel
      for minifloats (also e2m3 without VBMI): codes decoded to their exact
      f32 by shifts, an add and selects, f32 FMA with the activations as
      they are (posits stay on the reference path);
    * activations: f32, f16 or bf16, quantized at run time to int8 per
      block of `activation-block` k (smaller when a scale group needs it);
    * products summed exactly in int32 by `vpdpbusd` (AVX-512 VNNI) or
      `vpmaddubsw` + `vpmaddwd` (AVX-512BW, AVX2), byte codebooks looked up
      by `vpshufb`, emitted as `llvm.call_intrinsic`; results in f32;
    * the weight stream prefetched `prefetch-distance` bytes ahead
      (`lowbit.prefetch`, one per 64-byte vector): the hardware prefetchers
      alone leave cold weights latency-bound (measured in
      docs/cpu-kernels.md).

    * weights with a 1-bit operand (bipolar +-1, 1-bit integers; 2-bit
      ones too on AVX2 targets) or stored in nibble planes: the
      lookup-table kernel (see `lowbit-lower-to-lut`), since it issues
      fewer instructions per row there.

    A product's `lowbit.x86_tuning` attribute (a dictionary of
    `activation_block`, `rows_per_pass`, `prefetch_distance`; written by the
    JIT's autotuner; and `kernel`: "auto", "byte-dot", "lut" or
    "bit-serial") overrides
    the options for that product. With `report-fallbacks`, a product whose
    `kernel` cannot take it gets a remark saying why (the cost model then
    chooses).

    Products of low-bit integer activation codes (`!lowbit.int<q>`, q <= 8)
    and constant integer weights with i32 accumulation take the bit-serial
    kernel where its cost model prefers it (popcounts of bit-plane ANDs,
    exact), else the byte-dot kernel on the codes' values as i8.

    The only approximation is the activations' int8 rounding; the error
    bound is derived in docs/cpu-kernels.md and checked by the tests. With
    `report-fallbacks`, each product left for the reference lowering gets a
    remark saying why (as LLVM's -Rpass-missed).

    ```mlir
    // lowbit-opt --convert-lowbit-to-x86=target=znver4
    %w = lowbit.constant dense<...> : tensor<64x128xui4> -> tensor<64x128x!lowbit.int<4>>
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b}
        : tensor<1x128xf32>, tensor<64x128x!lowbit.int<4>> -> tensor<1x64xf32>
    // becomes a scf.for nest over 16-row tiles and 32-k blocks around
    //   %d = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a)
    ```
  }];
  let options = [
    Option<"target", "target", "::lowbit::target::CPUTargetKind",
           /*default=*/"::lowbit::target::CPUTargetKind::Host",
           "The CPU the kernels are generated for", [{::llvm::cl::values(
             clEnumValN(::lowbit::target::CPUTargetKind::Host, "host",
                        "the CPU this process runs on"),
             clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                        "no SIMD assumptions: nothing is rewritten"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3",
                        "AVX2, FMA, F16C, BMI2"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4",
                        "x86-64-v3 + AVX-512 F/BW/DQ/VL"),
             clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4",
                        "x86-64-v4 + VBMI, VBMI2, VNNI, BF16, VPOPCNTDQ, BITALG"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64",
                        "NEON + dotprod: sdot, tbl"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                        "aarch64 + i8mm: usdot"))}]>,
    Option<"activationBlock", "activation-block", "int64_t", /*default=*/"32",
           "k per int8 activation block (a power of two, 8 to 256)">,
    Option<"prefetchDistance", "prefetch-distance", "int64_t", /*default=*/"8192",
           "Bytes ahead of its read that the weight stream is prefetched (0: none; "
           "a multiple of 64 up to 1 MiB)">,
    Option<"rowsPerPass", "rows-per-pass", "int64_t", /*default=*/"0",
           "Activation rows summed per pass over a weight tile, 1 to 8 (0: 8 with "
           "AVX-512, 2 with AVX2)">,
    Option<"reportFallbacks", "report-fallbacks", "bool", /*default=*/"false",
           "Emit a remark for every product left to the reference lowering">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowbitLowerToLUT : Pass<"lowbit-lower-to-lut", "ModuleOp"> {
  let summary = "Lower lowbit.mpgemm with integer weights to lookup-table kernels";
  let description = [{
    Rewrites each `lowbit.mpgemm` that the lookup-table kernel takes, and
    leaves every other product as it is (for `convert-lowbit-to-x86` and the
    reference lowering after it). `convert-lowbit-to-x86` takes the same
    kernel where its cost model prefers it (1-bit operands) or where a
    product's `lowbit.x86_tuning` asks for `kernel = "lut"`; this pass takes
    it for every product it can, so that its code can be read and tested on
    its own.

    The kernel (docs/cpu-kernels.md): constant integer weights of 1 to 8
    bits (signed, unsigned, bipolar, ternary, i8; any scheme whose scale
    groups are multiples of 32 k) become 1-bit planes (`bits<...>` slots of
    the x86 kernel layout in nibble order: each nibble indexes 4
    consecutive k of one row), repacked at compile time; per activation row
    and 16 k, 4 tables of the 16 sums of subsets of 4 activations are built
    at run time and rounded to int8 with one scale per block; `vpermb`
    looks up 64 entries at once and `vpdpbusd` sums each row's 4 lookups
    times the plane's weight 2^p exactly in int32; scales and zero points
    as in the byte-dot kernel. Without AVX-512 VBMI and VNNI (x86-64-v3,
    x86-64-v4) the weights take another order and `vpshufb` looks up one
    group's table per 128-bit lane (zmm with AVX-512BW, ymm with AVX2),
    `vpmaddubsw` summing them into int16 (operands of at most 7 or 6 bits).
    Takes f32, f16 or bf16 activations, and int8 ones (f32 or i32
    accumulation).

    With `tables=exact` (or a product's `lowbit.x86_tuning` entry `tables =
    "exact"`), and always for int8 activations, the tables hold the exact
    int16 sums of the int8 activations the byte-dot kernel multiplies
    (float activations quantized per block as it does), looked up as a
    table of low bytes and one of high bytes: the results are the byte-dot
    kernel's bit for bit (and the reference's for i32 accumulation). They
    need vpermb and vpdpbusd (znver4).

    With `report-fallbacks`, each product it leaves gets a remark saying
    why.

    ```mlir
    // lowbit-opt --canonicalize --lowbit-lower-to-lut=target=znver4
    %w = lowbit.cast %wf : tensor<64x128xf32> to tensor<64x128x!lowbit.int<1, bipolar>>
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b} : ...
    // becomes the kernel loops around
    //   %t = lowbit.pure_intrinsic "llvm.x86.avx512.permvar.qi.512"(%table, %index)
    //   %d = lowbit.pure_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %weight, %t)
    ```
  }];
  let options = [
    Option<"target", "target", "::lowbit::target::CPUTargetKind",
           /*default=*/"::lowbit::target::CPUTargetKind::Host",
           "The CPU the kernels are generated for", [{::llvm::cl::values(
             clEnumValN(::lowbit::target::CPUTargetKind::Host, "host",
                        "the CPU this process runs on"),
             clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                        "no SIMD assumptions: nothing is rewritten"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3",
                        "AVX2, FMA, F16C, BMI2: vpshufb tables"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4",
                        "x86-64-v3 + AVX-512 F/BW/DQ/VL: vpshufb tables"),
             clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4",
                        "x86-64-v4 + VBMI, VBMI2, VNNI, BF16, VPOPCNTDQ, BITALG"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64",
                        "NEON + dotprod: tbl4 lookups, sdot"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                        "aarch64 + i8mm: usdot"))}]>,
    Option<"activationBlock", "activation-block", "int64_t", /*default=*/"32",
           "k per table scale block (a power of two, 32 to 256)">,
    Option<"tables", "tables", "::mlir::lowbit::X86TableKind",
           /*default=*/"::mlir::lowbit::X86TableKind::Int8",
           "The tables' entries for float activations", [{::llvm::cl::values(
             clEnumValN(::mlir::lowbit::X86TableKind::Int8, "int8",
                        "sums of 4 activations rounded to int8, one scale per block"),
             clEnumValN(::mlir::lowbit::X86TableKind::Exact, "exact",
                        "exact int16 sums of the int8 activations of the byte-dot kernel "
                        "(its results, bit for bit; vpermb only)"))}]>,
    Option<"reportFallbacks", "report-fallbacks", "bool", /*default=*/"false",
           "Emit a remark for every product the kernel does not take">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowbitBitplaneDecompose : Pass<"lowbit-bitplane-decompose", "ModuleOp"> {
  let summary = "Store integer weights in the bit planes of the x86 lookup-table kernel";
  let description = [{
    For each `lowbit.mpgemm` that the lookup-table kernel takes on `target`
    (the cost model's choice, or with `all` every product it can take),
    stores the weights B in its layout: `bits<nibble_planes, W, B>`
    (16-row tiles; per block of B k, the W bit planes of the operand as
    vectors of 16 rows x 32 k whose nibbles are 4 consecutive k; see
    `#lowbit.layout`) where the target has vpermb (znver4), else the same
    planes in the vpshufb tables' order, `bits<nibble_lanes, W, B>`
    (x86-64-v3, x86-64-v4; blocks small enough for their int16 sums), as
    `lowbit.unpack(lowbit.pack(B))`. A constant B is
    repacked at compile time (the pack folds to bytes); another B gets a
    pack at run time. `convert-lowbit-to-x86` and `lowbit-lower-to-lut` then
    read the planes as they are, and so they do for an argument stored in
    that layout (a framework packs its weights once, with `lowbit.pack` or
    the AOT module's functions, instead of every call).

    The planes hold the codes' bits; where a format's operand is its code
    xor a constant (two's complement: the top bit inverted) the kernel
    inverts that plane's nibbles (`vpternlog`), so the stored tensor stays a
    plain tensor of codes in a layout. Products whose N is not a multiple
    of 16 or whose K is not one of the block are left as they are (the
    conversion pads constants itself).

    ```mlir
    // lowbit-opt --lowbit-bitplane-decompose="target=znver4 all"
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b}
        : tensor<1x64xf32>, tensor<16x64x!lowbit.int<4>> -> tensor<1x16xf32>
    // becomes
    %p = lowbit.pack %w {layout = #lowbit.layout<bits<nibble_planes, 4, 32>>} : ... -> tensor<512xi8>
    %u = lowbit.unpack %p {layout = #lowbit.layout<bits<nibble_planes, 4, 32>>} : ...
    %c = lowbit.mpgemm %a, %u {acc_type = f32, transpose_b} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "::lowbit::target::CPUTargetKind",
           /*default=*/"::lowbit::target::CPUTargetKind::Host",
           "The CPU the kernels are planned for", [{::llvm::cl::values(
             clEnumValN(::lowbit::target::CPUTargetKind::Host, "host",
                        "the CPU this process runs on"),
             clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                        "no SIMD assumptions: nothing is decomposed"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3",
                        "AVX2, FMA, F16C, BMI2: nibble_lanes"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4",
                        "x86-64-v3 + AVX-512 F/BW/DQ/VL: nibble_lanes"),
             clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4",
                        "x86-64-v4 + VBMI, VBMI2, VNNI, BF16, VPOPCNTDQ, BITALG: nibble_planes"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64",
                        "NEON + dotprod: nibble_planes"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                        "aarch64 + i8mm: nibble_planes"))}]>,
    Option<"activationBlock", "activation-block", "int64_t", /*default=*/"32",
           "k per table scale block, the layout's B (a power of two, 32 to 256)">,
    Option<"all", "all", "bool", /*default=*/"false",
           "Every product the lookup-table kernel can take, not only the cost model's">,
    Option<"reportFallbacks", "report-fallbacks", "bool", /*default=*/"false",
           "Emit a remark for every product left as it is">
  ];
}

def LowbitCheckLowered : Pass<"lowbit-check-lowered", "ModuleOp"> {
  let summary = "Refuse a module the pipeline did not lower to the LLVM dialect";
  let description = [{
    The last pass of the CPU pipelines. The upstream conversions to the LLVM
    dialect are partial: an op they cannot convert (a function whose
    signature has a type with no LLVM equivalent, such as a vector of lowbit
    codes) stays as it was and the pipeline would succeed, leaving
    translation to LLVM IR to fail without a location. This pass reports the
    first op of each function that is not of the LLVM or OpenMP dialect
    (OpenMP's ops translate together with LLVM's), with its location, and
    fails.

    ```mlir
    // lowbit-opt --lowbit-reference-pipeline
    func.func private @w(vector<4x!lowbit.float<e2m1>>)
    // error: 'func.func' op was not lowered to the LLVM dialect (a type
    //        of it has no LLVM equivalent, or no conversion handles it)
    ```
  }];
}

def LowbitCheckTargetFeatures : Pass<"lowbit-check-target-features", "ModuleOp"> {
  let summary = "Refuse LLVM intrinsics that the target CPU does not have";
  let description = [{
    LLVM's code generator aborts without a diagnostic when IR uses an
    instruction the target lacks (a 512-bit shuffle on x86-64-v3, vpermb
    without VBMI). This pass runs before translation to LLVM IR and reports
    every `lowbit.pure_intrinsic` and `llvm.call_intrinsic` of an x86 or
    AArch64 intrinsic whose features `target` does not have (an intrinsic
    of another architecture than the target's included), with its
    location, and every x86 or AArch64 intrinsic it does not know (it
    cannot vouch for those).

    ```mlir
    // lowbit-opt --lowbit-check-target-features=target=x86-64-v3
    %d = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %u, %a) : ...
    // error: 'llvm.x86.avx512.vpdpbusd.512' needs avx512vnni, which target
    //        'x86-64-v3' lacks
    ```
  }];
  let options = [
    Option<"target", "target", "::lowbit::target::CPUTargetKind",
           /*default=*/"::lowbit::target::CPUTargetKind::Host",
           "The CPU the code is generated for", [{::llvm::cl::values(
             clEnumValN(::lowbit::target::CPUTargetKind::Host, "host", "this CPU"),
             clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                        "no SIMD assumptions"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3", "AVX2"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4", "AVX-512"),
             clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4", "Zen 4"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64",
                        "NEON + dotprod"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                        "NEON + dotprod + i8mm"))}]>
  ];
}

def ConvertLowbitIntrinsicsToLLVM : Pass<"convert-lowbit-intrinsics-to-llvm"> {
  let summary = "Turn lowbit.pure_intrinsic into llvm.call_intrinsic";
  let description = [{
    Runs after bufferization and buffer deallocation, which need to know
    that the kernels' intrinsics have no memory effects: each
    `lowbit.pure_intrinsic` becomes the `llvm.call_intrinsic` it stands for.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LowbitAnnotateTarget : Pass<"lowbit-annotate-target", "ModuleOp"> {
  let summary = "Record the CPU target on every LLVM function";
  let description = [{
    Sets `target_cpu` and `target_features` on every defined `llvm.func`
    from `target` (for `host` and `generic`, the host CPU and the features
    detected on it), so that code generated from the module outside the JIT
    (an object file, a shared library) uses the same instructions the
    kernels were planned for.

    ```mlir
    // lowbit-opt --lowbit-annotate-target=target=x86-64-v3
    llvm.func @f() attributes {target_cpu = "x86-64-v3",
        target_features = #llvm.target_features<["+avx2", "+fma", "+f16c", "+bmi2"]>}
    ```
  }];
  let options = [
    Option<"target", "target", "::lowbit::target::CPUTargetKind",
           /*default=*/"::lowbit::target::CPUTargetKind::Host",
           "The CPU the code is generated for", [{::llvm::cl::values(
             clEnumValN(::lowbit::target::CPUTargetKind::Host, "host", "this CPU"),
             clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                        "this CPU (the reference path)"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3", "AVX2"),
             clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4", "AVX-512"),
             clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4", "Zen 4"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64",
                        "NEON + dotprod"),
             clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                        "NEON + dotprod + i8mm"))}]>
  ];
}

#endif // LOWBIT_CONVERSION_PASSES_TD
