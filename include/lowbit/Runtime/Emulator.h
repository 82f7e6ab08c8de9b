//===- Emulator.h - Another architecture's code under an emulator -*- C++ -*-===//
//
// Code for a target of another architecture than the host's (aarch64 on
// x86), as lowbit-run and the tests run it: the module is compiled ahead of time (lowbit/Runtime/
// AOT.h), linked statically with EmulatorMain.c by the target's C compiler,
// and each call runs that program under an emulator (qemu-aarch64 from
// Debian's qemu-user), the buffers passing through files. The way MLIR's
// own AArch64 integration tests run (ARM_EMULATOR_EXECUTABLE), so that the
// kernels of a target this machine cannot run are tested on it. This
// header includes no MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_RUNTIME_EMULATOR_H
#define LOWBIT_RUNTIME_EMULATOR_H

#include "lowbit/Runtime/AOT.h"

#include <string>
#include <vector>

namespace lowbit::rt::emulator {

/// A module compiled and linked for an emulated target.
struct Program {
  std::string dir;                  ///< the temporary folder of its files
  std::string executable;           ///< the linked program
  std::vector<std::string> command; ///< the emulator and its options
  ~Program();
};

/// The emulator command for `target` (a cross target): `given` split at
/// spaces where not empty, else qemu-aarch64 from PATH with the CPU that
/// has exactly the target's features where qemu has one (aarch64:
/// cortex-a76, dotprod without i8mm, so that an i8mm instruction faults;
/// aarch64+i8mm: max). Empty with `why` set where there is none.
std::vector<std::string> emulatorFor(const std::string &target, const std::string &given,
                                     std::string &why);

/// Empty where code for the cross target `target` can be built and run
/// here (an emulator, the target's C compiler and the AOT runtime archive
/// built for it), else why not: the tests skip with it.
std::string unavailable(const std::string &target);

/// Writes `out`'s object and header (prefix lowbit_emulated) and links
/// them with EmulatorMain.c. Returns an error text, empty on success.
std::string build(const lowbit::rt::AOTOutput &out, std::vector<std::string> command,
                  Program &program);

/// Runs `function` of signature `sig` on `buffers` (inputs then outputs,
/// as CompiledModule::invoke) with symbol sizes `dims`: the outputs are
/// read back into their buffers. Returns an error text.
std::string run(const Program &program, const lowbit::rt::FunctionSignature &sig,
                const std::vector<void *> &buffers, const std::vector<int64_t> &dims);

} // namespace lowbit::rt::emulator

#endif
