//===- lowbit-opt.cpp - The lowbit optimizer driver -----------------------===//
//
// mlir-opt for lowbit: the lowbit dialect, the upstream dialects the lowbit
// pipelines lower through, and all upstream passes, with MLIR's usual flags
// (--pass-pipeline, --split-input-file, --verify-diagnostics, ...).
//
//===----------------------------------------------------------------------===//

#include "lowbit/Conversion/Passes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Pipelines/CPUPipelines.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Dialect/Lowbit/Transforms/Passes.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::lowbit::registerLowbitConversionPasses();
  mlir::lowbit::registerLowbitTransformsPasses();
  mlir::lowbit::registerCPUPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::lowbit::LowbitDialect, mlir::arith::ArithDialect,
                  mlir::arm_neon::ArmNeonDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect, mlir::gpu::GPUDialect,
                  mlir::LLVM::LLVMDialect, mlir::NVVM::NVVMDialect,
                  mlir::linalg::LinalgDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect, mlir::vector::VectorDialect,
                  mlir::x86vector::X86VectorDialect>();
  // Interfaces of those dialects (bufferization, to-LLVM conversion, ...)
  // live in extensions; the passes need them.
  mlir::registerAllExtensions(registry);
  mlir::lowbit::registerBuiltinFormatInterfaceExternalModels(registry);
  mlir::lowbit::registerReferencePipelineDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lowbit optimizer driver\n", registry));
}
