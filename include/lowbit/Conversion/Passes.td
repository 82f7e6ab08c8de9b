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

#endif // LOWBIT_CONVERSION_PASSES_TD
