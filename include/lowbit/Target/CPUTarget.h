//===- CPUTarget.h - CPU targets: features, code generation, host checks -*- C++ -*-===//
//
// One description of a CPU target, used by planning (which kernel a format
// gets), lowering (which instructions the kernel may use) and code
// generation (the LLVM CPU and feature string of the target machine):
//
//   generic     no SIMD assumptions: every op takes the reference lowering
//               (the JIT still lets LLVM tune that code for the host CPU)
//   x86-64-v3   AVX2, FMA, F16C, BMI2 (256-bit kernels)
//   x86-64-v4   v3 + AVX-512 F/BW/DQ/VL (512-bit kernels)
//   znver4      v4 + VBMI, VBMI2, VNNI, BF16, VPOPCNTDQ, BITALG
//   aarch64     Armv8.2-A NEON + dotprod (sdot; tbl lookups)
//   aarch64+i8mm  aarch64 + the int8 matrix extension (usdot)
//   host        the CPU this process runs on, detected with CPUID
//
// The library has no MLIR dependency (LLVM's host detection only), so the
// runtime can check a target against the host without the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_TARGET_CPUTARGET_H
#define LOWBIT_TARGET_CPUTARGET_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lowbit::target {

/// The targets that can be named (pass options take this enum).
enum class CPUTargetKind { Host, Generic, X86_64_V3, X86_64_V4, Znver4, AArch64, AArch64I8MM };

/// The instruction-set features kernels are selected by.
enum class CPUFeature : unsigned {
  AVX2, FMA, F16C, BMI2,
  AVX512F, AVX512BW, AVX512DQ, AVX512VL,
  AVX512VBMI, AVX512VBMI2, AVX512VNNI, AVX512BF16, AVX512VPOPCNTDQ, AVX512BITALG,
  NEON, DotProd, I8MM,
};
constexpr unsigned kNumCPUFeatures = 17;

/// LLVM's name of a feature ("avx512vnni").
const char *featureName(CPUFeature f);

/// Which pipeline (and kernels) a target gets: the reference lowering
/// only, or the byte-dot / lookup-table kernels with x86 or AArch64
/// instructions.
enum class CPUFamily { Generic, X86, AArch64 };

/// The LLVM target triple of code for a family on Linux; empty for
/// Generic (the host's own).
const char *targetTriple(CPUFamily f);

struct CPUTarget {
  std::string name;     ///< as spelled by the user: "znver4", "host", ...
  std::string cpu;      ///< LLVM CPU name for the target machine
  uint32_t features = 0; ///< bit i: CPUFeature(i)
  bool generic = false;  ///< the reference lowering only
  CPUFamily family = CPUFamily::Generic;

  bool has(CPUFeature f) const { return features >> static_cast<unsigned>(f) & 1; }
  /// Code for this target runs on another architecture than this process's
  /// (aarch64 on an x86 host): it is compiled ahead of time and run there,
  /// or under an emulator (lowbit-run's --emulator).
  bool isCross() const;
  /// The feature string of the target machine and of generated functions
  /// ("+avx2,+fma,..."); for `generic` and `host` empty (the host's own).
  std::string llvmFeatureString() const;
  /// The features this target has and `other` lacks, comma-separated.
  std::string missingFrom(const CPUTarget &other) const;
};

/// The targets that can be named, for --help texts and errors.
const std::vector<std::string> &cpuTargetNames();

/// The target called `name`, or nullopt (see cpuTargetNames()).
std::optional<CPUTarget> parseCPUTarget(const std::string &name);
/// The kind of the target called `name`, or nullopt.
std::optional<CPUTargetKind> parseCPUTargetKind(const std::string &name);

/// The target of a kind (Host: this process's CPU).
CPUTarget getCPUTarget(CPUTargetKind kind);

/// The CPU this process runs on.
const CPUTarget &hostCPUTarget();

/// Every feature LLVM detects on this host, as a target feature string
/// ("+avx2,+avx512f,...", the host's disabled features as "-...").
std::string hostFeatureString();

/// Empty when code for `t` can run on this host, else a sentence saying
/// which features the host lacks, or that it is another architecture's (so
/// that running it is refused instead of dying of SIGILL).
std::string checkRunnableOnHost(const CPUTarget &t);

} // namespace lowbit::target

#endif
