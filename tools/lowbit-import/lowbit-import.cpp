//===- lowbit-import.cpp - Model files to lowbit IR ------------------------===//
//
//   lowbit-import model.gguf -o model.mlir
//   lowbit-import checkpoint-dir/ -o model.mlir      (safetensors, GPTQ, AWQ)
//   lowbit-import model.gguf --list                  (the tensors and formats)
//   lowbit-import model.onnx --input-shape=x:1x3x48x320 [--quantize=mxfp4]
//                 [--quantize-config=layers.txt] -o model.mlir
//
// See lowbit/Import/Import.h for the module it writes and docs/importing.md
// for the supported formats.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Import/Import.h"
#include "lowbit/Import/ONNX.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace lowbit::import;

namespace {
cl::OptionCategory importCategory("lowbit-import options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.gguf | file.safetensors | dir>"),
                               cl::Required, cl::cat(importCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"), cl::cat(importCategory));
cl::opt<FileFormat> format("format", cl::desc("Input format"), cl::init(FileFormat::Auto),
                           cl::values(clEnumValN(FileFormat::Auto, "auto",
                                                 "from the file's magic or name (default)"),
                                      clEnumValN(FileFormat::GGUF, "gguf", "llama.cpp GGUF"),
                                      clEnumValN(FileFormat::Safetensors, "safetensors",
                                                 "a safetensors file or checkpoint directory")),
                           cl::cat(importCategory));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("ONNX: the shape of a graph input, NAME:AxBx... "
                                           "(repeatable; needed where the graph's is symbolic)"),
                                  cl::value_desc("name:shape"), cl::cat(importCategory));
cl::opt<std::string> quantize("quantize",
                              cl::desc("ONNX: quantize every constant MatMul/Gemm/Conv weight "
                                       "with this scheme (a preset such as int8_per_channel, "
                                       "gptq_u4_g128, mxfp4, or a scheme body)"),
                              cl::value_desc("scheme"), cl::cat(importCategory));
cl::opt<std::string> quantizeConfig("quantize-config",
                                    cl::desc("ONNX: per-node schemes, one 'PATTERN SCHEME' per "
                                             "line (node name or glob; first match wins; "
                                             "scheme 'none' keeps f32)"),
                                    cl::value_desc("file"), cl::cat(importCategory));
cl::opt<unsigned> segmentOps("segment-ops",
                              cl::desc("ONNX: ops of @main per private function it calls in "
                                       "order (0: one function; small functions compile "
                                       "faster in LLVM)"),
                              cl::init(64), cl::cat(importCategory));
cl::opt<bool> weightStats("weight-stats", cl::desc("ONNX: print the constant weights' sizes to stderr "
                                      "(elements, bytes, bits per weight)"),
                    cl::cat(importCategory));
cl::opt<bool> emitBytecode("emit-bytecode", cl::desc("Write MLIR bytecode instead of text"),
                           cl::cat(importCategory));
cl::opt<bool> list("list", cl::desc("List the tensors (name, format, shape, lowbit type, bits "
                                    "per weight) instead of writing IR"),
                   cl::cat(importCategory));

int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "lowbit-import") << msg << "\n";
  return 1;
}

size_t bytesOf(const ImportedTensor &t, const CodeTensor &c, unsigned bits) {
  (void)t;
  return size_t((uint64_t(c.elements()) * bits + 7) / 8);
}

unsigned bitsOf(const CodeTensor &c) {
  if (c.type.empty())
    return 0;
  if (c.bytes > 1)
    return 8 * c.bytes;
  llvm::StringRef s(c.type);
  // "!lowbit.int<4, unsigned>" -> 4; "!lowbit.ternary" -> 2; "f4E2M1FN" -> 4.
  if (s.consume_front("!lowbit.int<")) {
    unsigned b = 0;
    s.consumeInteger(10, b);
    return b;
  }
  if (s == "!lowbit.ternary")
    return 2;
  if (s.starts_with("f4"))
    return 4;
  if (s.starts_with("f6"))
    return 6;
  return 8;
}

void printList(llvm::raw_ostream &os, llvm::ArrayRef<ImportedTensor> tensors) {
  os << "# tensor\tformat\tshape\ttype\tscheme\tbits/weight\n";
  for (const ImportedTensor &t : tensors) {
    std::string shape;
    for (size_t i = 0; i < t.codes.shape.size(); ++i)
      shape += (i ? "x" : "") + std::to_string(t.codes.shape[i]);
    double bits = double(bytesOf(t, t.codes, bitsOf(t.codes)) +
                         bytesOf(t, t.scales, bitsOf(t.scales)) +
                         bytesOf(t, t.zeros, bitsOf(t.zeros))) *
                  8 / double(t.codes.elements());
    os << t.name << '\t' << t.format << '\t' << shape << '\t' << t.codes.type << '\t'
       << (t.scheme.empty() ? "-" : t.scheme) << '\t' << llvm::format("%.4f", bits) << '\n';
  }
}

llvm::Expected<ONNXImportOptions> onnxOptions() {
  ONNXImportOptions o;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = llvm::StringRef(spec).rsplit(':');
    if (name.empty() || dims.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "--input-shape=" + spec + ": expected NAME:AxBx...");
    std::vector<int64_t> shape;
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, 'x');
    for (llvm::StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d <= 0)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "--input-shape=" + spec + ": '" + p +
                                           "' is not a positive dimension");
      shape.push_back(d);
    }
    o.inputShapes[name.str()] = shape;
  }
  o.quantize = quantize;
  o.segmentOps = segmentOps;
  if (!quantizeConfig.empty()) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mb = llvm::MemoryBuffer::getFile(quantizeConfig);
    if (!mb)
      return llvm::createStringError(mb.getError(), quantizeConfig + ": " + mb.getError().message());
    llvm::SmallVector<llvm::StringRef> lines;
    (*mb)->getBuffer().split(lines, '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
      llvm::StringRef line = lines[i].split('#').first.trim();
      if (line.empty())
        continue;
      auto [pattern, scheme] = line.split(' ');
      scheme = scheme.trim();
      if (scheme.empty())
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       quantizeConfig + ":" + llvm::Twine(i + 1) +
                                           ": expected 'PATTERN SCHEME'");
      o.quantizeConfig.emplace_back(pattern.str(), scheme.str());
    }
  }
  return o;
}

int importGraph(llvm::raw_ostream &os) {
  llvm::Expected<ONNXImportOptions> o = onnxOptions();
  if (!o)
    return fail(llvm::toString(o.takeError()));
  mlir::DialectRegistry registry;
  registerImportDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::vector<WeightStat> weights;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      importONNX(context, inputPath, *o, &weights);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  if (weightStats) {
    int64_t elements = 0, bits = 0, quantizedCount = 0;
    for (const WeightStat &w : weights) {
      elements += w.elements;
      bits += w.bits;
      quantizedCount += !w.scheme.empty();
      llvm::errs() << "weight " << w.node << " " << w.elements << " elements "
                   << llvm::format("%.4f", double(w.bits) / double(w.elements)) << " bits/weight "
                   << (w.scheme.empty() ? "f32" : w.scheme) << "\n";
    }
    llvm::errs() << "weights: " << weights.size() << " tensors (" << quantizedCount
                 << " quantized), " << elements << " elements, " << (bits + 7) / 8 << " bytes, "
                 << llvm::format("%.4f", elements ? double(bits) / double(elements) : 0.0)
                 << " bits/weight\n";
  }
  if (mlir::failed(mlir::verify(**module)))
    return fail("the imported module does not verify (a bug: please report it)");
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(**module, os)))
      return fail("cannot write bytecode");
  } else {
    mlir::OpPrintingFlags flags;
    (*module)->print(os, flags.enableDebugInfo(true, /*prettyForm=*/false));
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(importCategory);
  cl::ParseCommandLineOptions(argc, argv, "lowbit model importer\n");

  if (llvm::StringRef(inputPath).ends_with(".onnx")) {
    if (list)
      return fail("--list is for weight files (GGUF, safetensors)");
    std::error_code ec;
    auto out = std::make_unique<llvm::ToolOutputFile>(outputFile, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail("cannot write " + outputFile + ": " + ec.message());
    int rc = importGraph(out->os());
    if (rc == 0)
      out->keep();
    return rc;
  }
  if (!inputShapes.empty() || !quantize.empty() || !quantizeConfig.empty())
    return fail("--input-shape, --quantize and --quantize-config are for ONNX graphs");

  llvm::Expected<std::vector<ImportedTensor>> tensors = readWeights(inputPath, format);
  if (!tensors)
    return fail(llvm::toString(tensors.takeError()));

  std::error_code ec;
  auto out = std::make_unique<llvm::ToolOutputFile>(outputFile, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write " + outputFile + ": " + ec.message());
  if (list) {
    printList(out->os(), *tensors);
    out->keep();
    return 0;
  }

  mlir::DialectRegistry registry;
  registerImportDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      buildWeightModule(context, *tensors, inputPath);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  tensors->clear(); // the constants hold the data now
  if (mlir::failed(mlir::verify(**module)))
    return fail("the imported module does not verify (a bug: please report it)");
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(**module, out->os())))
      return fail("cannot write bytecode");
  } else {
    mlir::OpPrintingFlags flags;
    (*module)->print(out->os(), flags.enableDebugInfo(true, /*prettyForm=*/false));
  }
  out->keep();
  return 0;
}
