//===- ReferenceEvaluator.h - Evaluate lowbit IR with the Numerics library -*- C++ -*-===//
//
// An interpreter of tensor-level lowbit functions that computes every op
// with lowbit/Numerics directly, never through generated code: the
// independent side of `lowbit-run --check` and of the end-to-end tests.
// Elementwise ops (quantize, dequantize, cast, pack, unpack) are expected
// bit for bit. mpgemm is evaluated exactly (in long double on f32 operand
// values) and carries a per-element tolerance for any summation order:
// K * u * sum |a_k b_k| for the accumulator's unit roundoff u, plus half an
// ulp of the result type; i32 accumulation is exact.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_REFERENCEEVALUATOR_H
#define LOWBIT_RUNTIME_REFERENCEEVALUATOR_H

#include "lowbit/Target/CPUTarget.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
}
namespace lowbit::rt {
class CompiledModule;
struct FunctionSignature;
}

namespace lowbit::ref {

/// A tensor as codes of its element format (f32/f16/bf16: bit patterns).
/// A tensor with a layout encoding holds its codes here and their packed
/// bytes in storage form.
struct HostTensor {
  std::vector<int64_t> shape;
  mlir::Type elementType;
  mlir::Attribute encoding; ///< a #lowbit.layout, or null
  std::vector<uint64_t> codes;
  std::vector<double> tolerance; ///< absolute, per element; empty: exact

  /// Reads a dense buffer in storage form (StorageTypes.h); `shape` is
  /// the tensor's where `type` has dynamic dimensions.
  static HostTensor fromStorage(mlir::RankedTensorType type, const void *data,
                                llvm::ArrayRef<int64_t> shape = {});
  /// Writes this tensor in storage form.
  void toStorage(void *data) const;
  double value(size_t i) const; ///< the exact value of element i

  /// Random contents: real types (f32/f16/bf16/f64) uniform in [-1, 1),
  /// other formats uniform over their codes of finite values (over all
  /// codes, NaN and infinities included, with `specialValues`).
  static HostTensor random(mlir::RankedTensorType type, std::mt19937_64 &rng,
                           bool specialValues = false, llvm::ArrayRef<int64_t> shape = {});
};

/// What the compiled code may do differently from exact evaluation.
struct EvaluateOptions {
  /// The CPU fast paths' named policy (docs/cpu-kernels.md): float
  /// activations of a product are rounded to int8 per block with scale
  /// amax / 127. The tolerance of an f32 product then also holds
  /// amax/254 * sum|w| and the rounding of the kernel's int32-to-f32
  /// epilogue, for any block size.
  bool int8ActivationBlocks = false;
  /// The lookup-table kernel's policy (docs/cpu-kernels.md), on top of
  /// int8ActivationBlocks, for the products with integer weights that take
  /// it: those whose lowbit.x86_tuning asks for `kernel = "lut"`, those
  /// whose weights are stored in nibble planes, and by the cost model's rule
  /// those with operands of at most tableOperandBits bits. The table
  /// entries (+-1 sums of 4 activations) are rounded to int8 per block with
  /// scale max|entry| / 127 <= 4 amax / 127, and an operand of b bit planes
  /// sums half of each plane's lookup times 2^p, so the tolerance also
  /// holds amax / 254 * sum over k of (2^b - 1) / (V - 1) * |w_hi - w_lo| /
  /// 2 for V values of b bits, w_lo and w_hi the weights the lowest and
  /// highest value dequantize to, and the epilogue's f32 rounding.
  bool int8Tables = false;
  /// The cost model's choice of the tables, by the operand's bits (the
  /// target's: 1 with AVX-512, 2 with AVX2 only).
  unsigned tableOperandBits = 1;
};

/// The named policies of the CPU fast paths a target may take: none on
/// `generic`; int8 activation blocks and int8 tables on x86 targets with
/// kernels.
EvaluateOptions fastPathPolicy(const ::lowbit::target::CPUTarget &target);

/// Evaluates `f` on `inputs`; returns an error text (empty on success).
std::string evaluate(mlir::func::FuncOp f, const std::vector<HostTensor> &inputs,
                     std::vector<HostTensor> &outputs, const EvaluateOptions &options = {});

/// Calls the compiled `f` on host tensors: writes the inputs in storage
/// form, runs it `repeats` times (the wall time of each run goes to
/// `seconds` if given), and reads the outputs. Returns an error text.
std::string invokeOnHost(const lowbit::rt::CompiledModule &module, mlir::func::FuncOp f,
                         const std::vector<HostTensor> &inputs,
                         std::vector<HostTensor> &outputs, unsigned repeats = 1,
                         std::vector<double> *seconds = nullptr);

/// Calls a function of signature `sig` through `invoke` (a compiled
/// module's invoke, or code run elsewhere: an emulator), as invokeOnHost.
using Invoker = std::function<std::string(const std::vector<void *> &buffers,
                                          const std::vector<int64_t> &dims)>;
std::string invokeWith(const lowbit::rt::FunctionSignature &sig, const Invoker &invoke,
                       mlir::func::FuncOp f, const std::vector<HostTensor> &inputs,
                       std::vector<HostTensor> &outputs, unsigned repeats = 1,
                       std::vector<double> *seconds = nullptr);

/// Compares `actual` with `expected` (its tolerance, NaN equal to NaN):
/// the number of mismatching elements and the largest absolute error.
struct Comparison {
  size_t mismatches = 0;
  double maxError = 0;
  double maxTolerance = 0;
};
Comparison compare(const HostTensor &expected, const HostTensor &actual);

} // namespace lowbit::ref

#endif
