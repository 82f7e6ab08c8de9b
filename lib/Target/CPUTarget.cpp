//===- CPUTarget.cpp - CPU targets: features, code generation, host checks ===//

#include "lowbit/Target/CPUTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>

using namespace lowbit::target;

namespace {
constexpr const char *kFeatureNames[kNumCPUFeatures] = {
    "avx2",       "fma",         "f16c",       "bmi2",       "avx512f",
    "avx512bw",   "avx512dq",    "avx512vl",   "avx512vbmi", "avx512vbmi2",
    "avx512vnni", "avx512bf16",  "avx512vpopcntdq", "avx512bitalg"};

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

CPUTarget detectHost() {
  CPUTarget t;
  t.name = "host";
  t.cpu = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  for (unsigned i = 0; i < kNumCPUFeatures; ++i)
    if (host.lookup(kFeatureNames[i]))
      t.features |= 1u << i;
  return t;
}
} // namespace

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

const std::vector<std::string> &lowbit::target::cpuTargetNames() {
  static const std::vector<std::string> names{"host", "generic", "x86-64-v3", "x86-64-v4",
                                              "znver4"};
  return names;
}

std::optional<CPUTarget> lowbit::target::parseCPUTarget(const std::string &name) {
  if (name == "host")
    return hostCPUTarget();
  CPUTarget t;
  t.name = name;
  if (name == "generic") {
    t.generic = true;
    t.cpu = hostCPUTarget().cpu;
    return t;
  }
  if (name == "x86-64-v3")
    t.features = kV3;
  else if (name == "x86-64-v4")
    t.features = kV4;
  else if (name == "znver4")
    t.features = kZen4;
  else
    return std::nullopt;
  t.cpu = name;
  return t;
}

CPUTarget lowbit::target::getCPUTarget(CPUTargetKind kind) {
  switch (kind) {
  case CPUTargetKind::Host:
    return hostCPUTarget();
  case CPUTargetKind::Generic:
    return *parseCPUTarget("generic");
  case CPUTargetKind::X86_64_V3:
    return *parseCPUTarget("x86-64-v3");
  case CPUTargetKind::X86_64_V4:
    return *parseCPUTarget("x86-64-v4");
  case CPUTargetKind::Znver4:
    return *parseCPUTarget("znver4");
  }
  return hostCPUTarget();
}

const CPUTarget &lowbit::target::hostCPUTarget() {
  static const CPUTarget host = detectHost();
  return host;
}

std::string lowbit::target::checkRunnableOnHost(const CPUTarget &t) {
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
