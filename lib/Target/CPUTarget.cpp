//===- CPUTarget.cpp - CPU targets: features, code generation, host checks ===//

#include "lowbit/Target/CPUTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <algorithm>

using namespace lowbit::target;

namespace {
constexpr const char *kFeatureNames[kNumCPUFeatures] = {
    "avx2",       "fma",         "f16c",       "bmi2",       "avx512f",
    "avx512bw",   "avx512dq",    "avx512vl",   "avx512vbmi", "avx512vbmi2",
    "avx512vnni", "avx512bf16",  "avx512vpopcntdq", "avx512bitalg", "neon",
    "dotprod",    "i8mm"};

uint32_t bits(std::initializer_list<CPUFeature> fs) {
  uint32_t b = 0;
  for (CPUFeature f : fs)
    b |= 1u << static_cast<unsigned>(f);
  return b;
}

const uint32_t kV3 = bits({CPUFeature::AVX2, CPUFeature::FMA, CPUFeature::F16C, CPUFeature::BMI2});
const uint32_t kV4 = kV3 | bits({CPUFeature::AVX512F, CPUFeature::AVX512BW, CPUFeature::AVX512DQ,
                                 CPUFeature::AVX512VL});
const uint32_t kZen4 = kV4 | bits({CPUFeature::AVX512VBMI, CPUFeature::AVX512VBMI2,
                                   CPUFeature::AVX512VNNI, CPUFeature::AVX512BF16,
                                   CPUFeature::AVX512VPOPCNTDQ, CPUFeature::AVX512BITALG});
const uint32_t kArmDot = bits({CPUFeature::NEON, CPUFeature::DotProd});
const uint32_t kArmI8MM = kArmDot | bits({CPUFeature::I8MM});

CPUFamily familyOf(const llvm::Triple &t) {
  return t.isX86() ? CPUFamily::X86 : t.isAArch64() ? CPUFamily::AArch64 : CPUFamily::Generic;
}

CPUTarget detectHost() {
  CPUTarget t;
  t.name = "host";
  t.cpu = llvm::sys::getHostCPUName().str();
  // The kernels of the host's family; elsewhere the reference lowering
  // (tuned for the host).
  t.family = familyOf(llvm::Triple(llvm::sys::getProcessTriple()));
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  for (unsigned i = 0; i < kNumCPUFeatures; ++i)
    if (host.lookup(kFeatureNames[i]))
      t.features |= 1u << i;
  return t;
}
} // namespace

const char *lowbit::target::targetTriple(CPUFamily f) {
  switch (f) {
  case CPUFamily::Generic:
    return "";
  case CPUFamily::X86:
    return "x86_64-unknown-linux-gnu";
  case CPUFamily::AArch64:
    return "aarch64-unknown-linux-gnu";
  }
  return "";
}

bool CPUTarget::isCross() const {
  return !generic && family != hostCPUTarget().family;
}

const char *lowbit::target::featureName(CPUFeature f) {
  return kFeatureNames[static_cast<unsigned>(f)];
}

std::string CPUTarget::llvmFeatureString() const {
  if (generic || name == "host")
    return {};
  std::string s;
  for (unsigned i = 0; i < kNumCPUFeatures; ++i)
    if (features >> i & 1)
      s += (s.empty() ? "+" : ",+") + std::string(kFeatureNames[i]);
  return s;
}

std::string CPUTarget::missingFrom(const CPUTarget &other) const {
  std::string s;
  for (unsigned i = 0; i < kNumCPUFeatures; ++i)
    if ((features >> i & 1) && !(other.features >> i & 1))
      s += (s.empty() ? "" : ", ") + std::string(kFeatureNames[i]);
  return s;
}

namespace {
/// Every named target: one table for names, kinds and features.
struct NamedTarget {
  const char *name;
  CPUTargetKind kind;
  uint32_t features;
  CPUFamily family;
  const char *cpu; ///< LLVM's CPU name
};
// AArch64 targets name the features, not a core: "generic" tuning, so that
// no core's further extensions (SVE, fp16 arithmetic) slip into the code.
const NamedTarget kTargets[] = {
    {"host", CPUTargetKind::Host, 0, CPUFamily::Generic, ""},
    {"generic", CPUTargetKind::Generic, 0, CPUFamily::Generic, ""},
    {"x86-64-v3", CPUTargetKind::X86_64_V3, kV3, CPUFamily::X86, "x86-64-v3"},
    {"x86-64-v4", CPUTargetKind::X86_64_V4, kV4, CPUFamily::X86, "x86-64-v4"},
    {"znver4", CPUTargetKind::Znver4, kZen4, CPUFamily::X86, "znver4"},
    {"aarch64", CPUTargetKind::AArch64, kArmDot, CPUFamily::AArch64, "generic"},
    {"aarch64+i8mm", CPUTargetKind::AArch64I8MM, kArmI8MM, CPUFamily::AArch64, "generic"},
};
} // namespace

const std::vector<std::string> &lowbit::target::cpuTargetNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const NamedTarget &t : kTargets)
      v.push_back(t.name);
    return v;
  }();
  return names;
}

std::optional<CPUTargetKind> lowbit::target::parseCPUTargetKind(const std::string &name) {
  for (const NamedTarget &t : kTargets)
    if (name == t.name)
      return t.kind;
  return std::nullopt;
}

std::optional<CPUTarget> lowbit::target::parseCPUTarget(const std::string &name) {
  std::optional<CPUTargetKind> kind = parseCPUTargetKind(name);
  if (!kind)
    return std::nullopt;
  return getCPUTarget(*kind);
}

CPUTarget lowbit::target::getCPUTarget(CPUTargetKind kind) {
  if (kind == CPUTargetKind::Host)
    return hostCPUTarget();
  for (const NamedTarget &n : kTargets)
    if (n.kind == kind) {
      CPUTarget t;
      t.name = n.name;
      t.generic = kind == CPUTargetKind::Generic;
      t.family = n.family;
      // generic: the reference path, code generated for this host's CPU.
      t.cpu = t.generic ? hostCPUTarget().cpu : n.cpu;
      t.features = n.features;
      return t;
    }
  return hostCPUTarget();
}

const CPUTarget &lowbit::target::hostCPUTarget() {
  static const CPUTarget host = detectHost();
  return host;
}

std::string lowbit::target::checkRunnableOnHost(const CPUTarget &t) {
  if (t.isCross())
    return "code for target '" + t.name + "' is for " + targetTriple(t.family) +
           ", not this host (" + llvm::sys::getProcessTriple() +
           "): compile it with lowbit-compile, or run it with lowbit-run --emulator";
  std::string missing = t.missingFrom(hostCPUTarget());
  if (missing.empty())
    return {};
  return "code for target '" + t.name + "' cannot run on this host (" + hostCPUTarget().cpu +
         "), which lacks " + missing;
}

std::string lowbit::target::hostFeatureString() {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> names;
  for (const auto &f : host)
    names.push_back((f.second ? "+" : "-") + f.first().str());
  std::sort(names.begin(), names.end());
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "" : ",") + n;
  return s;
}
