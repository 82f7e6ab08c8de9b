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

def LowbitAssignPrecision : Pass<"lowbit-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Choose one weight format per matrix product under a size budget";
  let description = [{
    Mixed-precision allocation (HAWQ-V3's integer program, solved exactly).
    A *layer* is a `lowbit.mpgemm` with `transpose_b` whose B is an f32
    `arith.constant` of shape N x K and that has no `b_scheme`: the form
    `lowbit-import` gives every MatMul, Gemm and convolution weight. For
    every layer and every scheme of `candidates` the pass quantizes the
    weight and measures its *sensitivity*:

    * `hessian`: `tr(dW H dW^T)`, dW the weight's quantization error and H
      the layer's input second moments `X^T X / rows`, read from the
      layer's `lowbit.hessian` attribute (a dense f32 K x K tensor;
      `lowbit-quantize-model` records it from calibration inputs): the mean
      squared change of the layer's output per input row;
    * `weight`: `|dW|^2` (H = identity), which needs no calibration.

    With `relative`, each sensitivity is divided by the layer's f32 output
    energy `tr(W H W^T)` (`|W|^2`): a noise-to-signal ratio, the same for a
    layer and for a copy of it scaled by any factor (folded batch norms
    scale convolutions arbitrarily).

    A layer may carry `lowbit.sensitivity_scale` (a float): the model's
    measured output error per unit of the proxy for that layer
    (`lowbit-quantize-model --measure-lines`), which multiplies the proxy
    instead of the relative normalization, so that layers whose errors the
    rest of the model amplifies weigh more.

    Then it picks one candidate per layer minimizing the summed sensitivity
    with the stored size (codes, scales, zero points) within `budget`, by
    the exact multiple-choice knapsack of `lowbit/Precision/Allocation.h`
    (dynamic programming over Pareto frontiers), with costs rounded up to
    1/100000 of the layers' f32 size (at least one bit; the policy
    `cost-resolution`): the result keeps within the budget and is no worse
    than the exact optimum for a budget smaller by layers x 0.00032 bits
    per weight.
    `f32` is a candidate like any scheme (32 bits, no error). Beside the
    presets and scheme bodies, `uB_gG` names a GPTQ-style scheme (B-bit
    unsigned codes and zero points, f16 scales, groups of G along K) and
    `iB_channel` an absmax one per output channel (signed B-bit codes, f32
    scales), so that a candidate list needs no commas inside its entries.
    Each layer's
    B becomes the chosen codes, scales and zero points as constants
    (`lowbit.constant`, `arith.constant`) with `b_scheme` set, and the
    layer keeps its sensitivity as `lowbit.sensitivity` (f64);
    `lowbit.hessian` is dropped.

    With `quantizer=gptq`, integer schemes (absmax, gptq, awq) are
    quantized by GPTQ with the recorded H (lowbit/Precision/GPTQ.h), both
    for the sensitivity and for the codes; other formats keep their own
    rounding. Groups that do not divide K follow the importer's
    group-divisor policy. `config-file` writes the choice as a
    `lowbit-import --quantize-config` file (one `node scheme` line per
    layer, node names from the layers' locations).

    With `budget-kind=latency` the cost of an option is its estimated time
    instead of its size: `cost-table` names a table of measured kernel
    times (`lowbit-bench-cpu-cost` writes one: every candidate compiled and
    run as a model's product at a grid of shapes), and per candidate the
    pass fits `t = c0 + c1 n k + c2 m n k + c3 m k + c4 m n` (non-negative
    least squares of relative residuals, lowbit/Precision/CostModel.h) and
    evaluates it at the layer's shape (m: A's rows, static). The budget is
    the summed time of the layers' products per run in milliseconds; costs
    are rounded up to 1/100000 of the budget and partial allocations over
    it are dropped (the `cost-resolution` policy for times: the answer is
    no worse than the exact optimum for a budget smaller by layers /
    100000 of it). Each layer then also carries
    `lowbit.estimated_time_us` (f64).

    Errors: a candidate that is not a scheme with an element format, a
    layer without `lowbit.hessian` (or of the wrong shape) under
    `sensitivity=hessian`, a budget below the cheapest choice; under
    `budget-kind=latency`, a missing or malformed cost table (file and
    line), a candidate the table has no rows for at `cost-threads`, a
    layer whose row count is not static.

    ```mlir
    // lowbit-opt --lowbit-assign-precision="budget=4.5 candidates=u4_g128,int8_per_channel"
    %w = arith.constant dense<...> : tensor<8x128xf32>
    %y = lowbit.mpgemm %x, %w {acc_type = f32, transpose_b, lowbit.hessian = dense<...> : tensor<128x128xf32>}
        : tensor<4x128xf32>, tensor<8x128xf32> -> tensor<4x8xf32>
    // becomes
    %c = lowbit.constant dense<...> : tensor<8x128xui4> -> tensor<8x128x!lowbit.int<4, unsigned>>
    %s = arith.constant dense<...> : tensor<8x1xf16>
    %z = lowbit.constant dense<...> : tensor<8x1xui4> -> tensor<8x1x!lowbit.int<4, unsigned>>
    %y = lowbit.mpgemm %x, %c[%s, %z] {acc_type = f32, b_scheme = #lowbit.scheme<gptq_u4_g128>,
            transpose_b, lowbit.sensitivity = 1.2e-3 : f64} : ...
    ```
  }];
  let options = [
    Option<"budgetKind", "budget-kind", "::mlir::lowbit::PrecisionBudget",
           /*default=*/"::mlir::lowbit::PrecisionBudget::BitsPerWeight",
           "What the budget limits", [{::llvm::cl::values(
             clEnumValN(::mlir::lowbit::PrecisionBudget::BitsPerWeight, "bits-per-weight",
                        "stored bits of the layers' weights over their number"),
             clEnumValN(::mlir::lowbit::PrecisionBudget::Bytes, "bytes",
                        "stored bytes of the layers' weights"),
             clEnumValN(::mlir::lowbit::PrecisionBudget::Latency, "latency",
                        "estimated time of the layers' products per run, in milliseconds, "
                        "from cost-table"))}]>,
    Option<"budget", "budget", "double", /*default=*/"8.0",
           "The budget's value (bits per weight, bytes or milliseconds)">,
    Option<"costTable", "cost-table", "std::string", /*default=*/"",
           "budget-kind=latency: the measured kernel times to fit the cost model to "
           "(CSV candidate,threads,m,n,k,us, as lowbit-bench-cpu-cost writes it)">,
    Option<"costThreads", "cost-threads", "unsigned", /*default=*/"1",
           "budget-kind=latency: the rows of cost-table measured with this many threads">,
    ListOption<"candidates", "candidates", "std::string",
               "Schemes to choose from: presets, uB_gG (GPTQ-style B-bit groups of G), "
               "iB_channel (absmax per channel), scheme bodies, f32 (default: 3..6-bit groups "
               "of 32/64/128, 4/6/8-bit per channel, MXFP4/6/8, NVFP4, f32; 2-bit groups "
               "only when named: policy no-2-bit-default)">,
    Option<"sensitivity", "sensitivity", "::mlir::lowbit::PrecisionSensitivity",
           /*default=*/"::mlir::lowbit::PrecisionSensitivity::Hessian",
           "The error measure of a layer's format", [{::llvm::cl::values(
             clEnumValN(::mlir::lowbit::PrecisionSensitivity::Hessian, "hessian",
                        "tr(dW H dW^T) with the recorded lowbit.hessian"),
             clEnumValN(::mlir::lowbit::PrecisionSensitivity::Weight, "weight",
                        "|dW|^2, no calibration needed"))}]>,
    Option<"relative", "relative", "bool", /*default=*/"false",
           "Divide each layer's sensitivity by its f32 output energy tr(W H W^T) "
           "(|W|^2 for sensitivity=weight): noise-to-signal ratios, which do not "
           "depend on the scale a layer's weights happen to have">,
    Option<"quantizer", "quantizer", "::mlir::lowbit::PrecisionQuantizer",
           /*default=*/"::mlir::lowbit::PrecisionQuantizer::RoundToNearest",
           "How weights are quantized", [{::llvm::cl::values(
             clEnumValN(::mlir::lowbit::PrecisionQuantizer::RoundToNearest, "rtn",
                        "round to nearest (each scheme's rule)"),
             clEnumValN(::mlir::lowbit::PrecisionQuantizer::GPTQ, "gptq",
                        "GPTQ with the recorded H for integer schemes"))}]>,
    Option<"configFile", "config-file", "std::string", /*default=*/"",
           "Also write the choice as a lowbit-import --quantize-config file">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif
