// RUN: lowbit-opt %s --lowbit-annotate-target=target=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: lowbit-opt %s --lowbit-annotate-target=target=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: lowbit-opt %s --lowbit-annotate-target=target=host | FileCheck %s --check-prefix=HOST

// V3: llvm.func @f() attributes {target_cpu = "x86-64-v3", target_features = #llvm.target_features<["+avx2", "+fma", "+f16c", "+bmi2"]>}
// V3: llvm.func @external()
// V3-NOT: target_cpu
// ZEN4: target_cpu = "znver4"
// ZEN4-SAME: "+avx512vnni"
// HOST: llvm.func @f() attributes {target_cpu = "{{[a-z0-9-]+}}", target_features = #llvm.target_features<[
llvm.func @f() {
  llvm.return
}
llvm.func @external()
