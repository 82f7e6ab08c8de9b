//===- Emulator.cpp - Another architecture's code under an emulator -------===//

#include "lowbit/Runtime/Emulator.h"

#include "lowbit/Target/CPUTarget.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <optional>

using namespace lowbit::rt;
using namespace lowbit::rt::emulator;

namespace {
std::string pathIn(const std::string &dir, const std::string &name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

std::string writeFile(const std::string &path, const void *data, size_t bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return "cannot write '" + path + "': " + ec.message();
  os.write(static_cast<const char *>(data), bytes);
  os.close();
  if (os.has_error())
    return "cannot write '" + path + "'";
  return {};
}

/// The seconds a linker or an emulated call may run before it is killed:
/// LOWBIT_EMULATOR_TIMEOUT (0: no limit), default 600. An emulated kernel
/// that loops (a miscompiled loop bound) must fail its test with a message,
/// not hang the suite until CI's limit kills it without one.
unsigned waitLimitSeconds() {
  unsigned seconds = 600;
  if (const char *env = std::getenv("LOWBIT_EMULATOR_TIMEOUT"))
    if (llvm::StringRef(env).getAsInteger(10, seconds))
      seconds = 600;
  return seconds;
}

/// Runs `args` (args[0] a path) with stdout and stderr in `log`; returns an
/// error text with the log's end where it fails.
std::string execute(const std::vector<std::string> &args, const std::string &log,
                    const std::string &what) {
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  std::string error;
  unsigned limit = waitLimitSeconds();
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, std::nullopt, redirects, limit, 0, &error);
  if (rc == 0)
    return {};
  // -2 is a crash or a signal too (the signal's name in `error`); LLVM's
  // Wait says "Child timed out" where it killed the child itself.
  if (rc == -2 && limit && llvm::StringRef(error).starts_with("Child timed out"))
    error = "killed after " + std::to_string(limit) +
            " s (LOWBIT_EMULATOR_TIMEOUT sets the limit, 0 for none)";
  std::string text;
  if (auto buffer = llvm::MemoryBuffer::getFile(log))
    text = (*buffer)->getBuffer().rtrim().str();
  if (text.size() > 4000)
    text = "..." + text.substr(text.size() - 4000);
  return what + " failed (" + (error.empty() ? "exit code " + std::to_string(rc) : error) + ")" +
         (text.empty() ? "" : ":\n" + text);
}
} // namespace

Program::~Program() {
  if (!dir.empty())
    llvm::sys::fs::remove_directories(dir);
}

std::vector<std::string> lowbit::rt::emulator::emulatorFor(const std::string &target,
                                                       const std::string &given,
                                                       std::string &why) {
  std::vector<std::string> command;
  if (!given.empty()) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::SplitString(given, parts);
    for (llvm::StringRef p : parts)
      command.push_back(p.str());
    if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(command[0]))
      command[0] = *found;
    else
      why = "the emulator '" + command[0] + "' is not found";
    return why.empty() ? command : std::vector<std::string>{};
  }
  llvm::ErrorOr<std::string> qemu = llvm::sys::findProgramByName("qemu-aarch64");
  if (!qemu) {
    why = "running code for target '" + target + "' on this host needs an emulator: "
          "qemu-aarch64 (Debian's qemu-user) is not found; name one with --emulator";
    return {};
  }
  return {*qemu, "-cpu", target == "aarch64" ? "cortex-a76" : "max"};
}

std::string lowbit::rt::emulator::unavailable(const std::string &target) {
  std::optional<lowbit::target::CPUTarget> t = lowbit::target::parseCPUTarget(target);
  if (!t || !t->isCross())
    return "target '" + target + "' is not another architecture's";
  std::string why;
  std::string triple = lowbit::target::targetTriple(t->family);
  if (emulatorFor(target, "", why).empty() || crossCompiler(triple, why).empty() ||
      aotRuntimeArchive(triple, why).empty())
    return why;
  return {};
}

std::string lowbit::rt::emulator::build(const lowbit::rt::AOTOutput &out,
                                    std::vector<std::string> command, Program &program) {
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("lowbit-emulated", dir))
    return "cannot create a temporary folder: " + ec.message();
  program.dir = std::string(dir);
  program.command = std::move(command);
  std::string object = pathIn(program.dir, "module.o");
  if (std::string e = writeFile(object, out.object.data(), out.object.size()); !e.empty())
    return e;
  std::string header = pathIn(program.dir, "lowbit_emulated.h");
  if (std::string e = writeFile(header, out.header.data(), out.header.size()); !e.empty())
    return e;
  if (out.needsRuntimeCodec)
    return "formats wider than 16 bits call the runtime codec (liblowbit_runtime.so), which "
           "is not built for " + out.triple;
  std::string why;
  std::string cc = crossCompiler(out.triple, why);
  std::string runtime = aotRuntimeArchive(out.triple, why);
  if (cc.empty() || runtime.empty())
    return "cannot link the program for " + out.triple + ": " + why;
  program.executable = pathIn(program.dir, "main");
  // Static: the emulator needs no sysroot to load it.
  std::vector<std::string> args{cc,      "-std=c11", "-O1", "-static", "-I", program.dir,
                                LOWBIT_EMULATOR_MAIN, object, runtime, "-lm", "-o",
                                program.executable};
  return execute(args, pathIn(program.dir, "link.log"), "linking the program for " + out.triple);
}

std::string lowbit::rt::emulator::run(const Program &program, const lowbit::rt::FunctionSignature &sig,
                                  const std::vector<void *> &buffers,
                                  const std::vector<int64_t> &dims) {
  size_t numInputs = sig.inputs.size(), numOutputs = sig.outputs.size();
  if (buffers.size() != numInputs + numOutputs)
    return "@" + sig.name + " takes " + std::to_string(numInputs + numOutputs) + " buffers";
  std::vector<std::string> args = program.command;
  args.push_back(program.executable);
  args.push_back(sig.name);
  args.push_back(std::to_string(dims.size()));
  for (int64_t d : dims)
    args.push_back(std::to_string(d));
  args.push_back(std::to_string(numInputs));
  for (size_t i = 0; i < numInputs; ++i) {
    std::string path = pathIn(program.dir, "in" + std::to_string(i));
    if (std::string e = writeFile(path, buffers[i], sig.inputs[i].bytes(dims)); !e.empty())
      return e;
    args.push_back(path);
  }
  args.push_back(std::to_string(numOutputs));
  for (size_t o = 0; o < numOutputs; ++o) {
    args.push_back(pathIn(program.dir, "out" + std::to_string(o)));
    args.push_back(std::to_string(sig.outputs[o].bytes(dims)));
  }
  std::string command;
  for (size_t i = 0; i < program.command.size(); ++i)
    command += (i ? " " : "") + program.command[i];
  if (std::string e = execute(args, pathIn(program.dir, "run.log"), "@" + sig.name + " under '" +
                                                                         command + "'");
      !e.empty())
    return e;
  for (size_t o = 0; o < numOutputs; ++o) {
    std::string path = pathIn(program.dir, "out" + std::to_string(o));
    auto buffer = llvm::MemoryBuffer::getFile(path);
    size_t bytes = sig.outputs[o].bytes(dims);
    if (!buffer || (*buffer)->getBufferSize() != bytes)
      return "the emulated program wrote no output " + std::to_string(o) + " of " +
             std::to_string(bytes) + " bytes";
    std::memcpy(buffers[numInputs + o], (*buffer)->getBufferStart(), bytes);
  }
  return {};
}
