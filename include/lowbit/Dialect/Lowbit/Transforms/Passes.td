//===- Passes.td - lowbit dialect transformations ----------*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_TRANSFORMS_PASSES_TD
#define LOWBIT_DIALECT_LOWBIT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowbitPlanLayout : Pass<"lowbit-plan-layout"> {
  let summary = "Assign a storage layout to the weight operand of each matrix product";
  let description = [{
    Sets `b_layout` on every `lowbit.mpgemm` whose B holds codes of at most
    16 bits and has none yet, from the target description `target`:

    * `dense`: `#lowbit.layout<bits<lsb_first, W>>`, row after row;
    * `bitplane`: `#lowbit.layout<bits<planes_tiled, W, 32>>`, bit planes
      tiled in 32-bit words of consecutive k (the layout of bit-serial LUT
      and popcount kernels). It needs B stored N x K (`transpose_b`) with K
      a multiple of 32; other products get the dense layout.

    f32/f16/bf16 and wider weights are left alone. The backend issues add
    their own targets. `lowbit-fold-repack` makes the plan real.

    ```mlir
    // lowbit-opt --lowbit-plan-layout=target=bitplane
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b}
        : tensor<1x64xf32>, tensor<8x64x!lowbit.int<4>> -> tensor<1x8xf32>
    // becomes
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b,
            b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "::mlir::lowbit::LayoutPlanTarget",
           /*default=*/"::mlir::lowbit::LayoutPlanTarget::Dense",
           "Target description", [{::llvm::cl::values(
             clEnumValN(::mlir::lowbit::LayoutPlanTarget::Dense, "dense",
                        "bits<lsb_first, W>, row after row"),
             clEnumValN(::mlir::lowbit::LayoutPlanTarget::Bitplane, "bitplane",
                        "bits<planes_tiled, W, 32>: bit planes in 32-bit words of k"))}]>
  ];
}

def LowbitFoldRepack : Pass<"lowbit-fold-repack"> {
  let summary = "Store planned weights in their layout: repack constants at compile time";
  let description = [{
    For every `lowbit.mpgemm` with a `b_layout`, B becomes
    `lowbit.unpack(lowbit.pack(B))` through that layout and the attribute
    is dropped. When B is a constant (run `canonicalize` first so that
    quantized weights are constants), the pack folds here: the weight is
    stored as constant bytes in the target layout, repacked once at compile
    time by the `lowbit/Layout` library. Otherwise the pack stays, an
    explicit repack that `convert-lowbit-to-linalg` lowers to loops. The
    unpack is the kernel's read of the stored layout (loops in the
    reference path; the backends read the layout directly).

    ```mlir
    %w = lowbit.constant dense<...> : tensor<8x64xui4> -> tensor<8x64x!lowbit.int<4>>
    %c = lowbit.mpgemm %a, %w {acc_type = f32, transpose_b,
            b_layout = #lowbit.layout<bits<planes_tiled, 4, 32>>} : ...
    // becomes
    %bytes = arith.constant dense<...> : tensor<256xi8>
    %u = lowbit.unpack %bytes {layout = #lowbit.layout<bits<planes_tiled, 4, 32>>}
        : tensor<256xi8> -> tensor<8x64x!lowbit.int<4>>
    %c = lowbit.mpgemm %a, %u {acc_type = f32, transpose_b} : ...
    ```
  }];
}

#endif
