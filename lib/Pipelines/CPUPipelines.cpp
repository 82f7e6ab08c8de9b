//===- CPUPipelines.cpp - Tensor-level lowbit IR to LLVM -------------===//

#include "lowbit/Pipelines/CPUPipelines.h"
#include "PipelinePasses.h"
#include "lowbit/Conversion/Passes.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitDialect.h"
#include "lowbit/Dialect/Lowbit/IR/LowbitTypes.h"
#include "lowbit/Dialect/Lowbit/Transforms/BufferizableOpInterfaceImpl.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/AllInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorInferTypeOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::lowbit::registerReferencePipelineDialects(DialectRegistry &registry) {
  registry.insert<LowbitDialect, affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, index::IndexDialect, linalg::LinalgDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  omp::OpenMPDialect, scf::SCFDialect, tensor::TensorDialect,
                  vector::VectorDialect>();
  registerBuiltinFormatInterfaceExternalModels(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  // Lets buffer-results-to-out-params see memref.alloc as an allocation:
  // without it a result of dynamic shape is allocated and copied into the
  // caller's buffer instead of written there.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  lowbit::registerBufferizableOpInterfaceExternalModels(registry); // lowbit.prefetch
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerAllDialectInterfaceImplementations(registry);
  tensor::registerInferTypeOpInterfaceExternalModels(registry);
  registerConvertFuncToLLVMInterface(registry);
  arith::registerConvertArithToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void mlir::lowbit::buildReferencePipeline(OpPassManager &pm) {
  CPUPipelineConfig generic;
  generic.target = ::lowbit::target::CPUTargetKind::Generic;
  buildGenericCPUPipeline(pm, generic);
}

namespace mlir::lowbit {
namespace {
/// Folding first: quantize and cast of constant weights become constant
/// codes here, computed once by the Numerics library.
void addWeightFolding(OpPassManager &pm) { pm.addPass(createCanonicalizerPass()); }

/// What no fast path took: the reference lowering, then cleanup.
void addReferenceLowering(OpPassManager &pm) {
  pm.addPass(createConvertLowbitToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Gives every buffer a function returns once only: a buffer returned
/// twice (a tensor returned twice, or two tensors bufferized into one
/// buffer) gets a copy for each later occurrence. Upstream's
/// buffer-results-to-out-params crashes on a duplicated return operand
/// (LLVM 22), and two out-parameters need two buffers anyway.
struct CopyDuplicateReturnedBuffers
    : PassWrapper<CopyDuplicateReturnedBuffers, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CopyDuplicateReturnedBuffers)
  StringRef getArgument() const override { return "lowbit-copy-duplicate-returned-buffers"; }
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder b(ret);
      for (OpOperand &o : ret->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(o.get().getType());
        if (!type || seen.insert(o.get()).second)
          continue;
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            sizes.push_back(memref::DimOp::create(b, ret.getLoc(), o.get(), d));
        Value copy = memref::AllocOp::create(b, ret.getLoc(), MemRefType::get(type.getShape(), type.getElementType()), sizes);
        memref::CopyOp::create(b, ret.getLoc(), o.get(), copy);
        o.set(copy);
      }
    });
  }
};

/// Rewrites each memref.copy between buffers that are not both contiguous
/// (tensor.pad's and tensor.insert_slice's writes into a bigger buffer,
/// slices read out of one) as linalg.copy, which convert-linalg-to-loops
/// makes loops whose unit-stride innermost loop LLVM vectorizes. Left as
/// memref.copy, finalize-memref-to-llvm calls memrefCopy, which copies
/// element by element through a generic descriptor walk: on PP-OCRv4 it
/// took a third of the run time. Contiguous copies stay memref.copy (one
/// llvm.memcpy).
struct StridedCopiesToLoops
    : PassWrapper<StridedCopiesToLoops, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StridedCopiesToLoops)
  StringRef getArgument() const override { return "lowbit-strided-copies-to-loops"; }
  StringRef getDescription() const override {
    return "Rewrite memref.copy between buffers that are not both contiguous as linalg.copy "
           "(loops LLVM vectorizes, not memrefCopy's element walk)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }
  /// What finalize-memref-to-llvm copies by one llvm.memcpy.
  static bool contiguous(Type t) {
    auto m = dyn_cast<MemRefType>(t);
    return m && (m.getLayout().isIdentity() ||
                 (m.hasStaticShape() && m.getNumElements() > 0 &&
                  memref::isStaticShapeAndContiguousRowMajor(m)));
  }
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) {
      auto source = dyn_cast<MemRefType>(c.getSource().getType());
      if (source && source.getRank() > 0 &&
          (!contiguous(c.getSource().getType()) || !contiguous(c.getTarget().getType())))
        copies.push_back(c);
    });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};

/// Puts a parallel loop innermost in every linalg op whose innermost loop is
/// a reduction, where that parallel dimension indexes the innermost
/// dimension of every output and, in each input, at most the innermost
/// dimension: out[n, c, oh, ow] += in[n, c, oh + kh, ow + kw] * w[c, kh, kw]
/// runs (n, c, oh, kh, kw, ow) instead of (n, c, oh, ow, kh, kw), so that
/// the loop convert-linalg-to-loops makes innermost walks contiguous (or
/// strided) memory that LLVM vectorizes, where the reduction innermost was
/// scalar (LLVM does not reassociate float sums). Only the order of
/// independent outputs changes: each output's sum runs over the reduction
/// dimensions in the same order, so results keep their bits. Named ops
/// (depthwise convolutions, pooling, batch_matmul) are generalized first.
/// On PP-OCRv4 its depthwise convolutions took two thirds of the run time.
struct VectorizableLoopOrder
    : PassWrapper<VectorizableLoopOrder, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(VectorizableLoopOrder)
  StringRef getArgument() const override { return "lowbit-vectorizable-loop-order"; }
  StringRef getDescription() const override {
    return "Move a parallel loop that indexes every output's innermost dimension innermost in "
           "linalg ops whose innermost loop is a reduction (results keep their bits)";
  }
  /// The loop to put innermost, if any.
  static std::optional<unsigned> innermostParallel(linalg::LinalgOp op) {
    unsigned loops = op.getNumLoops();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (loops < 2 || iterators.back() != utils::IteratorType::reduction ||
        op.getNumDpsInits() == 0 || !op.hasPureBufferSemantics())
      return std::nullopt;
    std::optional<unsigned> d;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      if (map.getNumResults() == 0)
        return std::nullopt;
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      if (!last || iterators[last.getPosition()] != utils::IteratorType::parallel ||
          (d && *d != last.getPosition()))
        return std::nullopt;
      d = last.getPosition();
    }
    // The dimension appears in no operand's outer dimensions, and in an
    // innermost one with a stride of at most 2 (a stride-2 convolution's
    // ow * 2 + kw): the vector loop reads contiguous or every other element,
    // not a gather across rows (a grouped reduction's in[g * G + j] read
    // along g stays a contiguous scalar loop over j).
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (unsigned r = 0; r + 1 < map.getNumResults(); ++r)
        if (map.getResult(r).isFunctionOfDim(*d))
          return std::nullopt;
      if (map.getNumResults() == 0 || !map.getResults().back().isFunctionOfDim(*d))
        continue;
      AffineExpr e = map.getResults().back();
      MLIRContext *ctx = op->getContext();
      SmallVector<AffineExpr> zero(map.getNumDims(), getAffineConstantExpr(0, ctx)), one = zero;
      one[*d] = getAffineConstantExpr(1, ctx);
      auto at = [&](ArrayRef<AffineExpr> dims) {
        return dyn_cast<AffineConstantExpr>(simplifyAffineExpr(
            e.replaceDimsAndSymbols(dims, {}), 0, 0));
      };
      AffineConstantExpr e0 = at(zero), e1 = at(one);
      if (!e.isPureAffine() || !e0 || !e1 || e1.getValue() - e0.getValue() < 1 ||
          e1.getValue() - e0.getValue() > 2)
        return std::nullopt;
    }
    // Worth a vector: a static trip count of at least 4.
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (ShapedType::isDynamic(ranges[*d]) || ranges[*d] < 4)
      return std::nullopt;
    return d;
  }
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<unsigned> d = innermostParallel(op))
        ops.push_back({op, *d});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, d] : ops) {
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      SmallVector<unsigned> order;
      for (unsigned i = 0; i < generic.getNumLoops(); ++i)
        if (i != d)
          order.push_back(i);
      order.push_back(d);
      (void)linalg::interchangeGenericOp(rewriter, generic, order);
    }
  }
};

/// Tensors to buffers (results written into the caller's buffers), loops,
/// threads, the target check, and the LLVM dialect: the same for every CPU
/// target family.
void addBufferizationAndLLVMLowering(OpPassManager &pm, const CPUPipelineConfig &config) {
  // Chains of elementwise linalg ops (an imported model's BatchNorm,
  // activations, residual adds, the reference lowering's decodes) fused
  // into one loop nest each, producers with one use only: one pass over
  // memory instead of one per op (PP-OCRv4: 400 linalg.generic become 105,
  // 15.0 -> 13.1 ms). Each element's scalar ops are unchanged and in their
  // order, so results keep their bits.
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  // Tiles built in tensor.empty and inserted into the result are written
  // in place instead of allocated and copied.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(std::make_unique<CopyDuplicateReturnedBuffers>());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.hoistDynamicAllocs = true; // results of dynamic shape too
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);

  pm.addPass(std::make_unique<StridedCopiesToLoops>());
  pm.addPass(createDepthwiseConvToVectorsPass());
  pm.addPass(createTransposesToVectorsPass());
  pm.addPass(std::make_unique<VectorizableLoopOrder>());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (config.numThreads > 1) {
    // The kernels' scf.forall over output tiles becomes an OpenMP
    // worksharing loop (LLVM's libomp at run time).
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = config.numThreads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
    // The loop bodies allocate nothing: canonicalization inlines the
    // memref.alloca_scope around them, which scf-to-cf could not lower.
    pm.addPass(createCanonicalizerPass());
  }
  // Before the intrinsics become LLVM calls: refuse any the target lacks.
  LowbitCheckTargetFeaturesOptions check;
  check.target = config.target;
  pm.addPass(createLowbitCheckTargetFeatures(check));
  pm.addPass(createConvertLowbitIntrinsicsToLLVM());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Buffers from the AOT runtime's pool (lib/AOTRuntime/BufferPool.c):
  // a function called again reuses the pages it touched, where malloc's
  // fresh mappings made every call pay page faults for each large tensor.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  // MLIR's default calling convention: each memref is passed as its
  // descriptor (pointers, offset, sizes, strides), which carries the sizes
  // of dynamic dimensions (the bare-pointer convention has none).
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (config.numThreads > 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  LowbitAnnotateTargetOptions annotate;
  annotate.target = config.target;
  pm.addPass(createLowbitAnnotateTarget(annotate));
  pm.addPass(createLowbitCheckLowered());
}
} // namespace
} // namespace mlir::lowbit

void mlir::lowbit::buildGenericCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config) {
  addWeightFolding(pm);
  addReferenceLowering(pm);
  addBufferizationAndLLVMLowering(pm, config);
}

void mlir::lowbit::buildKernelCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config) {
  addWeightFolding(pm);
  ConvertLowbitToX86Options x86;
  x86.target = config.target;
  x86.reportFallbacks = config.reportFallbacks;
  pm.addPass(createConvertLowbitToX86(x86));
  // The weights the kernels repacked are dead now.
  pm.addPass(createCanonicalizerPass());
  addReferenceLowering(pm);
  addBufferizationAndLLVMLowering(pm, config);
}

void mlir::lowbit::buildCPUPipeline(OpPassManager &pm, const CPUPipelineConfig &config) {
  switch (::lowbit::target::getCPUTarget(config.target).family) {
  case ::lowbit::target::CPUFamily::Generic:
    return buildGenericCPUPipeline(pm, config);
  case ::lowbit::target::CPUFamily::X86:
  case ::lowbit::target::CPUFamily::AArch64:
    return buildKernelCPUPipeline(pm, config);
  }
}

namespace {
struct CPUPipelineOptions : PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<::lowbit::target::CPUTargetKind> target{
      *this, "target", llvm::cl::desc("The CPU to generate code for"),
      llvm::cl::init(::lowbit::target::CPUTargetKind::Host),
      llvm::cl::values(
          clEnumValN(::lowbit::target::CPUTargetKind::Host, "host", "the CPU this runs on"),
          clEnumValN(::lowbit::target::CPUTargetKind::Generic, "generic",
                     "no SIMD assumptions: the reference lowering only"),
          clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V3, "x86-64-v3",
                     "AVX2, FMA, F16C, BMI2"),
          clEnumValN(::lowbit::target::CPUTargetKind::X86_64_V4, "x86-64-v4",
                     "x86-64-v3 + AVX-512 F/BW/DQ/VL"),
          clEnumValN(::lowbit::target::CPUTargetKind::Znver4, "znver4",
                     "x86-64-v4 + VBMI, VBMI2, VNNI, BF16, VPOPCNTDQ, BITALG"),
          clEnumValN(::lowbit::target::CPUTargetKind::AArch64, "aarch64", "NEON + dotprod"),
          clEnumValN(::lowbit::target::CPUTargetKind::AArch64I8MM, "aarch64+i8mm",
                     "aarch64 + the int8 matrix extension (usdot)"))};
  PassOptions::Option<bool> reportFallbacks{
      *this, "report-fallbacks",
      llvm::cl::desc("Remark on every product left to the reference lowering"),
      llvm::cl::init(false)};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads of the kernels' loops over output tiles (OpenMP when above 1)"),
      llvm::cl::init(1)};
};
} // namespace

void mlir::lowbit::registerCPUPipelines() {
  PassRegistration<StridedCopiesToLoops>();
  PassRegistration<VectorizableLoopOrder>();
  registerDepthwiseConvToVectorsPass();
  registerTransposesToVectorsPass();
  PassPipelineRegistration<CPUPipelineOptions>(
      "lowbit-cpu-pipeline",
      "Lower tensor-level lowbit IR to the LLVM dialect for a CPU target: the x86 or AArch64 kernels "
      "(convert-lowbit-to-x86) where they apply, the reference lowering elsewhere, then the "
      "reference pipeline's bufferization and LLVM lowering, and a check that every intrinsic "
      "is one the target has",
      [](OpPassManager &pm, const CPUPipelineOptions &o) {
        CPUPipelineConfig config;
        config.target = o.target;
        config.reportFallbacks = o.reportFallbacks;
        config.numThreads = o.threads;
        buildCPUPipeline(pm, config);
      });
  PassPipelineRegistration<>(
      "lowbit-reference-pipeline",
      "Lower tensor-level lowbit IR to the LLVM dialect (the reference path): "
      "convert-lowbit-to-linalg, bufferization with results as out-parameters, "
      "loops, LLVM with memref descriptors as arguments",
      buildReferencePipeline);
}
