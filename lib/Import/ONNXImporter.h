//===- ONNXImporter.h - The ONNX importer's state (private) -----*- C++ -*-===//
#ifndef LOWBIT_LIB_IMPORT_ONNXIMPORTER_H
#define LOWBIT_LIB_IMPORT_ONNXIMPORTER_H

#include "lowbit/Import/ONNX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class AttributeProto;
class ModelProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace lowbit::import::onnximport {

using Shape = std::vector<int64_t>;

/// Elements of a shape, saturating at 2^50 (-1 for a negative dimension).
int64_t numElements(llvm::ArrayRef<int64_t> shape);
/// The largest tensors the importer makes: runtime values, and values it
/// computes itself (shape arithmetic, folded constants).
constexpr int64_t kMaxElements = int64_t(1) << 34;
constexpr int64_t kMaxKnownElements = int64_t(1) << 26;

/// A tensor whose values the importer knows: f32 (floats and doubles, kept
/// as the f32 the graph computes with) or integers (as int64).
struct Known {
  std::vector<int64_t> shape;
  bool isFloat = true;
  std::vector<float> f;
  std::vector<int64_t> i;
  /// The ONNX data type the values were read as (TensorProto::DataType;
  /// 0 for values the importer computed): which code format a
  /// DequantizeLinear of them has.
  int32_t dataType = 0;
  int64_t size() const { return numElements(shape); }
  double at(int64_t k) const { return isFloat ? double(f[size_t(k)]) : double(i[size_t(k)]); }
};

llvm::Expected<Known> knownFromProto(const onnx::TensorProto &t);

/// numpy broadcasting of shapes, or nullopt where they do not broadcast.
std::optional<Shape> broadcastShapes(llvm::ArrayRef<Shape> shapes);
/// Row-major strides of a shape.
Shape stridesOf(llvm::ArrayRef<int64_t> shape);
/// The flat index into `in` (broadcast to `out`) of flat index k of `out`.
int64_t broadcastIndex(int64_t k, llvm::ArrayRef<int64_t> out, llvm::ArrayRef<int64_t> in);
/// A negative axis counted from the end.
int64_t normAxis(int64_t a, int64_t rank);
/// Appends element `i` of `src` to `dst` (of the same kind).
void appendElement(Known &dst, const Known &src, int64_t i);

/// Which elements of a QuantizeLinear/DequantizeLinear's input share a
/// scale: all (axis -1), those with one index along `axis` (block 0), or
/// runs of `block` along it.
struct ScaleLayout {
  int64_t axis = -1;
  int64_t block = 0;
};

/// The index into the scales (of shape `scale`) of element e of a tensor
/// of shape `x`.
int64_t scaleIndex(int64_t e, llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> scale,
                   const ScaleLayout &layout);

/// A weight that arrives quantized (a DequantizeLinear of constants, a
/// MatMulNBits): element e of the tensor is
/// (codes[e] - zeros[scaleOf(e)]) * scales[scaleOf(e)] in f32.
struct QuantizedCodes {
  unsigned bits = 8;
  bool isSigned = true;
  std::vector<int32_t> codes; ///< row-major, of shape `shape`
  Shape shape, scaleShape;
  ScaleLayout layout;
  std::vector<float> scales;
  std::vector<int64_t> zeros; ///< per scale; empty: all zero
  int64_t scaleOf(int64_t e) const { return scaleIndex(e, shape, scaleShape, layout); }
};

struct Val;
/// The inputs of a QuantizeLinear/DequantizeLinear: x, its constant f32
/// scale and constant zero point (null if absent), and their layout.
struct QuantizationOperands {
  Val *x = nullptr, *scale = nullptr, *zero = nullptr;
  ScaleLayout layout;
};

/// A value of the graph: an MLIR tensor, or a Known one (made an MLIR
/// constant when an op needs it).
struct Val {
  mlir::Value value;
  std::vector<int64_t> shape;
  std::optional<Known> known;
  /// Where `known` is a dequantized weight: its codes, for a product that
  /// reads the weight (ONNXQuantization.cpp).
  std::shared_ptr<const QuantizedCodes> quantized;
  int64_t rank() const { return int64_t(shape.size()); }
};

class Importer {
public:
  Importer(mlir::MLIRContext &ctx, llvm::StringRef file, const ONNXImportOptions &options,
           std::vector<WeightStat> &stats);
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> run(const onnx::ModelProto &model);

private:
  // ONNX.cpp: graph state.
  llvm::Error fail(const llvm::Twine &msg) const;
  /// An error if a tensor of this shape is too large (or has a negative
  /// dimension); `known`: computed by the importer.
  llvm::Error checkSize(llvm::ArrayRef<int64_t> shape, bool known) const;
  /// Kernel, pads, strides and dilations of a 2-D window: positive (pads
  /// non-negative) and of sane sizes.
  llvm::Error checkWindow(llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> pads,
                          llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations) const;
  mlir::Value materialize(Val &v);
  llvm::Expected<Val *> input(const onnx::NodeProto &node, int i);
  /// Inputs 0, 1, ... of the node into `out`, or the first error.
  llvm::Error inputs(const onnx::NodeProto &node, std::initializer_list<Val **> out);
  bool hasInput(const onnx::NodeProto &node, int i) const;
  void define(const onnx::NodeProto &node, int i, Val v);
  Val runtime(mlir::Value v);
  Val knownVal(Known k);
  static const onnx::AttributeProto *attr(const onnx::NodeProto &node, llvm::StringRef name);
  static int64_t intAttr(const onnx::NodeProto &node, llvm::StringRef name, int64_t dflt);
  static float floatAttr(const onnx::NodeProto &node, llvm::StringRef name, float dflt);
  static std::optional<std::vector<int64_t>> intsAttr(const onnx::NodeProto &node,
                                                      llvm::StringRef name);
  static std::string stringAttr(const onnx::NodeProto &node, llvm::StringRef name,
                                llvm::StringRef dflt);

  // ONNXOps.cpp: the operators.
  llvm::Error lowerNode(const onnx::NodeProto &node);
  llvm::Error lowerConstant(const onnx::NodeProto &node);
  llvm::Error lowerElementwise(const onnx::NodeProto &node);
  llvm::Error lowerConv(const onnx::NodeProto &node);
  llvm::Error lowerBatchNorm(const onnx::NodeProto &node);
  llvm::Error lowerMatMul(const onnx::NodeProto &node);
  llvm::Error lowerGemm(const onnx::NodeProto &node);
  llvm::Error lowerSoftmax(const onnx::NodeProto &node);
  llvm::Error lowerReduceMean(const onnx::NodeProto &node);
  llvm::Error lowerPool(const onnx::NodeProto &node);
  llvm::Error lowerShapeOp(const onnx::NodeProto &node);
  llvm::Error lowerSlice(const onnx::NodeProto &node);
  llvm::Error lowerConcat(const onnx::NodeProto &node);
  llvm::Error lowerTranspose(const onnx::NodeProto &node);
  llvm::Error lowerGather(const onnx::NodeProto &node);
  llvm::Error lowerCast(const onnx::NodeProto &node);

  // ONNXQuantization.cpp: QuantizeLinear, DequantizeLinear, MatMulNBits.
  llvm::Expected<QuantizationOperands> quantizationOperands(const onnx::NodeProto &node);
  llvm::Error lowerQuantizeLinear(const onnx::NodeProto &node);
  llvm::Error lowerDequantizeLinear(const onnx::NodeProto &node);
  llvm::Error lowerMatMulNBits(const onnx::NodeProto &node);
  /// x W^T on the codes of a weight that arrived quantized, W[n][k] being
  /// element flat(n, k) of `q`; null where no lowbit scheme holds its
  /// scales (the caller then computes with the f32 values).
  llvm::Expected<mlir::Value> linearOnCodes(mlir::Value x2d, const QuantizedCodes &q, int64_t n,
                                            int64_t k,
                                            llvm::function_ref<int64_t(int64_t, int64_t)> flat);

  // Helpers (ONNXOps.cpp).
  using Body = std::function<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;
  /// out[i...] = body(inputs broadcast to `shape`), numpy broadcasting.
  mlir::Value elementwise(llvm::ArrayRef<mlir::Value> inputs, llvm::ArrayRef<int64_t> shape,
                          const Body &body);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  mlir::Value f32Const(float v);
  mlir::Value zeros(llvm::ArrayRef<int64_t> shape, float fill = 0.0f);
  /// The f32 tensor `x` summed in f64 over the reduction dimensions of
  /// `iters` (maps: x's, the result's), a tensor<outShape x f64>.
  mlir::Value sumInF64(mlir::Value x, llvm::ArrayRef<mlir::AffineMap> maps,
                       llvm::ArrayRef<mlir::utils::IteratorType> iters,
                       llvm::ArrayRef<int64_t> outShape);
  /// The product x W^T with W known [N, K] (row per output): lowbit.mpgemm
  /// on W's codes where the node's weights are quantized, else on f32 W.
  /// `q`, if given, holds W's codes (see linearOnCodes), which the product
  /// reads where a lowbit scheme can hold them (W's values otherwise).
  llvm::Expected<mlir::Value>
  linear(mlir::Value x2d, const Known &w, llvm::StringRef what, const QuantizedCodes *q = nullptr,
         llvm::function_ref<int64_t(int64_t, int64_t)> flat = nullptr);
  /// The shape and calibration tap of the product whose weight `stats`
  /// recorded last.
  void describeProduct(int64_t n, int64_t k, mlir::Value x2d);
  /// Records a constant weight of the current node in `stats`.
  void recordWeight(int64_t elements, int64_t bits, const std::string &scheme);
  /// The scheme for this node's constant weight, or null (f32).
  llvm::Expected<mlir::Attribute> weightScheme();
  mlir::Value addBias(mlir::Value y, const Known &bias, int64_t axis);

  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  std::string file;
  const ONNXImportOptions &options;
  mlir::Location loc;
  std::string nodeName, opType;
  int64_t opset = 0;
  std::map<std::string, Val> values;
  /// Conv output -> the BatchNormalization folded into that Conv.
  std::map<std::string, const onnx::NodeProto *> foldedBatchNorms;
  /// The BatchNormalization output the current Conv defines too.
  std::string foldedOutput;

  std::vector<WeightStat> &stats;
  /// The inputs of quantizable products, returned by main after the graph's
  /// outputs (ONNXImportOptions::calibrationTaps).
  llvm::SmallVector<mlir::Value> taps;
  /// Set by materialize() on an integer Known value: the current node
  /// computes with it, which the f32 graph does not support.
  bool integerOperand = false;
  /// The entry block of main (weight arguments are added to it).
  mlir::Block *mainBody = nullptr;
};

} // namespace lowbit::import::onnximport

#endif
