// A tour of the lowbit element types: one function whose signature uses
// every family. scripts/demo.sh round-trips it through lowbit-opt.
module {
  func.func private @weights(
      %gptq: tensor<4096x4096x!lowbit.int<4, unsigned>>,
      %mxfp4: tensor<4096x4096x!lowbit.float<e2m1>>,
      %fp8: tensor<4096x4096x!lowbit.float<e4m3, fn>>,
      %posit: tensor<4096x4096x!lowbit.posit<8, 0>>,
      %bin: tensor<4096x4096x!lowbit.int<1, bipolar>>,
      %tern: tensor<4096x4096x!lowbit.ternary>,
      %scale: tensor<4096x128x!lowbit.float<e8m0, unsigned>>,
      %custom: tensor<16x!lowbit.float<e3m3, ieee, bias = 4>>)
}
