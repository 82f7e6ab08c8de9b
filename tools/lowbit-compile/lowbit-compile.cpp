//===- lowbit-compile.cpp - Ahead-of-time compiler to shared objects -------===//
//
//   lowbit-compile model.mlir --target=znver4 -o model.so
//
// writes model.so and model.h (one typed C function per public function and
// a generic entry; see lowbit/Runtime/AOT.h). --emit picks another stage:
// mlir (the LLVM-dialect module), llvm (optimized LLVM IR), asm, obj, header.
// The shared object needs libc, libm and, with --num-threads above 1, LLVM's
// libomp; nothing of MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#include "lowbit/Runtime/AOT.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;

namespace {
enum class Emit { SharedObject, MLIR, LLVM, Asm, Obj, Header };

// --help shows these, not the LLVM backend options linked in (as mlir-opt).
cl::OptionCategory compileCategory("lowbit-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"), cl::Required, cl::cat(compileCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: the input's name with "
                                              "the stage's extension)"),
                                cl::value_desc("file"), cl::cat(compileCategory));
cl::opt<std::string> targetName("target", cl::desc("CPU target: host, generic, x86-64-v3, "
                                                   "x86-64-v4, znver4, aarch64, aarch64+i8mm"),
                                cl::init("host"), cl::cat(compileCategory));
cl::opt<unsigned> numThreads("num-threads",
                             cl::desc("Kernel threads (above 1: LLVM's libomp at run time)"),
                             cl::init(1), cl::cat(compileCategory));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level 0..3"), cl::init(3), cl::Prefix, cl::cat(compileCategory));
cl::opt<std::string> prefix("prefix", cl::desc("C prefix of the header's functions (default: "
                                               "the output's name)"), cl::cat(compileCategory));
cl::opt<Emit> emit("emit", cl::desc("What to write"), cl::init(Emit::SharedObject),
                   cl::values(clEnumValN(Emit::SharedObject, "so",
                                         "a shared object and its header (default)"),
                              clEnumValN(Emit::MLIR, "mlir", "the LLVM-dialect module"),
                              clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR"),
                              clEnumValN(Emit::Asm, "asm", "assembly"),
                              clEnumValN(Emit::Obj, "obj", "an object file"),
                              clEnumValN(Emit::Header, "header", "the C header")), cl::cat(compileCategory));
cl::opt<bool> quiet("quiet", cl::desc("No progress on stderr"), cl::cat(compileCategory));
cl::opt<bool> reportFallbacks("report-fallbacks",
                              cl::desc("Remark on every product that takes the reference path"), cl::cat(compileCategory));

const char *extensionOf(Emit e) {
  switch (e) {
  case Emit::SharedObject: return ".so";
  case Emit::MLIR: return ".ll.mlir";
  case Emit::LLVM: return ".ll";
  case Emit::Asm: return ".s";
  case Emit::Obj: return ".o";
  case Emit::Header: return ".h";
  }
  return "";
}

/// A C identifier from a file stem ("my-model" -> "my_model").
std::string identifier(llvm::StringRef stem) {
  std::string s;
  for (char c : stem)
    s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    s = "m_" + s;
  return s;
}

bool writeFile(const std::string &path, llvm::StringRef data) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    llvm::errs() << "lowbit-compile: cannot write '" << path << "': " << ec.message() << "\n";
    return false;
  }
  out.os() << data;
  out.keep();
  return true;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(compileCategory);
  cl::ParseCommandLineOptions(argc, argv, "lowbit ahead-of-time compiler\n");
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buffer) {
    llvm::errs() << "lowbit-compile: cannot read '" << inputFile
                 << "': " << buffer.getError().message() << "\n";
    return 1;
  }
  std::string output = outputFile;
  if (output.empty()) {
    llvm::SmallString<256> p(inputFile == "-" ? "out" : inputFile.getValue());
    llvm::sys::path::replace_extension(p, "");
    output = std::string(p) + extensionOf(emit);
  }
  lowbit::rt::AOTOptions options;
  options.target = targetName;
  options.numThreads = std::max(1u, numThreads.getValue());
  options.optLevel = optLevel;
  options.reportFallbacks = reportFallbacks;
  options.sourceName = inputFile;
  options.textStages = emit == Emit::MLIR || emit == Emit::LLVM || emit == Emit::Asm;
  llvm::SmallString<256> stem(llvm::sys::path::stem(output == "-" ? inputFile.getValue() : output));
  if (emit == Emit::SharedObject && stem.starts_with("lib"))
    stem = stem.substr(3);
  options.prefix = prefix.empty() ? identifier(stem) : identifier(prefix);

  auto start = std::chrono::steady_clock::now();
  std::string diagnostics;
  lowbit::rt::AOTOutput out;
  bool ok = lowbit::rt::compileAhead((*buffer)->getBuffer().str(), options, out, diagnostics);
  llvm::errs() << diagnostics;
  if (!ok)
    return 1;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet && seconds > 1)
    llvm::errs() << "lowbit-compile: compiled " << inputFile << " for " << targetName << " in "
                 << llvm::format("%.1f", seconds) << " s\n";

  switch (emit) {
  case Emit::MLIR: return writeFile(output, out.mlir) ? 0 : 1;
  case Emit::LLVM: return writeFile(output, out.llvmIR) ? 0 : 1;
  case Emit::Asm: return writeFile(output, out.asmText) ? 0 : 1;
  case Emit::Obj: return writeFile(output, out.object) ? 0 : 1;
  case Emit::Header: return writeFile(output, out.header) ? 0 : 1;
  case Emit::SharedObject: break;
  }

  if (std::string e = lowbit::rt::linkSharedObject(out, output); !e.empty()) {
    llvm::errs() << "lowbit-compile: " << e << "\n";
    return 1;
  }
  llvm::SmallString<256> header(output);
  llvm::sys::path::replace_extension(header, ".h");
  return writeFile(std::string(header), out.header) ? 0 : 1;
}
