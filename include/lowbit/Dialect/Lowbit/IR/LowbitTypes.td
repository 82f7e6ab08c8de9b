//===- LowbitTypes.td - lowbit element types ---------------*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPES_TD
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPES_TD

include "lowbit/Dialect/Lowbit/IR/LowbitBase.td"
include "lowbit/Dialect/Lowbit/IR/LowbitTypeInterfaces.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

// Every lowbit element type can be the element of a tensor, memref or vector.
defvar Lowbit_ElementTypeTraits = [
  DeclareTypeInterfaceMethods<LowbitFormatTypeInterface>,
  MemRefElementTypeInterface, VectorElementTypeInterface];

def Lowbit_IntType : Lowbit_Type<"Int", "int",
    Lowbit_ElementTypeTraits> {
  let summary = "integer of 1 to 32 bits: two's complement, unsigned or bipolar";
  let description = [{
    `!lowbit.int<N>` is an N-bit two's-complement integer (N = 1..32),
    `!lowbit.int<N, unsigned>` an unsigned one. `!lowbit.int<N, bipolar>`
    reads every bit as +1 or -1: code c has the value 2c - (2^N - 1), so the
    values are the odd integers in [-(2^N-1), 2^N-1] (this is the encoding
    of binary and bit-serial kernels, where a 1-bit weight is +-1).
    `!lowbit.int<N, signed>` is accepted and prints as `!lowbit.int<N>`.

    ```mlir
    func.func private @f(!lowbit.int<3>, !lowbit.int<4, unsigned>,
                         !lowbit.int<2, bipolar>)
    ```
  }];
  let parameters = (ins "unsigned":$width, "::lowbit::num::IntEncoding":$encoding);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Lowbit_TernaryType : Lowbit_Type<"Ternary", "ternary",
    Lowbit_ElementTypeTraits> {
  let summary = "ternary value in {-1, 0, +1}";
  let description = [{
    `!lowbit.ternary` holds -1, 0 or +1, stored as a 2-bit two's-complement
    code (0b00 = 0, 0b01 = +1, 0b11 = -1; 0b10 is reserved and decodes to
    NaN). Denser storage (5 trits per byte) is a layout, not a type.

    ```mlir
    func.func private @f(tensor<64x!lowbit.ternary>)
    ```
  }];
}

def Lowbit_MiniFloatType : Lowbit_Type<"MiniFloat", "float",
    Lowbit_ElementTypeTraits> {
  let summary = "binary float with any exponent/mantissa split, bias and special values";
  let description = [{
    `!lowbit.float<eEmM>` with optional `, KIND`, `, bias = B` and
    `, nosubnormal`, in that order:

    * E (exponent bits) in 0..8, M (mantissa bits) in 0..23, and
      E + M + 1 <= 32 (E + M for the unsigned kind). E = 0 is a fixed-point
      fraction: every code is "subnormal", value = 0.m x 2^(1-bias), and only
      the `finite` kind is allowed.
    * KIND:
      - `finite` (default): no Inf, no NaN; the all-ones exponent is an
        ordinary binade (OCP FP6/FP4).
      - `ieee`: the all-ones exponent is Inf (mantissa 0) or NaN.
      - `fn`: no Inf; only S.1...1.1...1 is NaN (OCP E4M3).
      - `fnuz`: no Inf, no -0; the -0 code is the one NaN. Default bias
        2^(E-1).
      - `unsigned`: no sign bit, no Inf; the all-ones code is NaN (E8M0).
    * bias: default 2^(E-1)-1 (2^(E-1) for fnuz, 1 for E = 0); any value in
      -255..255 (the range keeps every value and every product of two values
      a normal double, which the exact arithmetic relies on).
    * Subnormals are present unless `nosubnormal`: then the exponent-0
      binade is normal (value 1.m x 2^-bias) and the format has no zero.
      With M = 0 there are no mantissa bits to make subnormals, so this
      holds automatically: `!lowbit.float<e8m0, unsigned>` is E8M0, whose
      code 0 is 2^-127.

    Formats that equal an MLIR builtin type (for example
    `!lowbit.float<e4m3, fn>` = `f8E4M3FN`, `!lowbit.float<e2m1>` =
    `f4E2M1FN`, `!lowbit.float<e5m10, ieee>` = `f16`) report it through
    `LowbitFormatTypeInterface::getBuiltinEquivalent`.

    ```mlir
    func.func private @f(!lowbit.float<e2m1>, !lowbit.float<e4m3, fn>,
                         !lowbit.float<e3m3, ieee, bias = 4>,
                         !lowbit.float<e8m0, unsigned>,
                         !lowbit.float<e2m3, nosubnormal>)
    ```
  }];
  let parameters = (ins "unsigned":$exponentBits, "unsigned":$mantissaBits,
                        "::lowbit::num::FloatKind":$kind, "int":$bias,
                        "bool":$subnormals);
  let builders = [
    TypeBuilder<(ins "unsigned":$exponentBits, "unsigned":$mantissaBits,
                     "::lowbit::num::FloatKind":$kind,
                     "std::optional<int>":$bias, "bool":$subnormals), [{
      return $_get($_ctxt, exponentBits, mantissaBits, kind,
                   bias ? *bias : ::lowbit::num::Format::defaultBias(exponentBits, kind),
                   subnormals && ::lowbit::num::Format::canHaveSubnormals(
                                     exponentBits, mantissaBits));
    }]>
  ];
  let skipDefaultBuilders = 1;
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Lowbit_PositType : Lowbit_Type<"Posit", "posit",
    Lowbit_ElementTypeTraits> {
  let summary = "posit with N bits and ES exponent bits";
  let description = [{
    `!lowbit.posit<N, ES>` with N in 2..32 and ES in 0..4 (the 2022 posit
    standard fixes ES = 2). Code 0 is zero and 10...0 is NaR; there is no
    -0 and no Inf. maxpos = 2^(2^ES * (N-2)), minpos = 1/maxpos.

    ```mlir
    func.func private @f(!lowbit.posit<8, 0>, !lowbit.posit<16, 1>)
    ```
  }];
  let parameters = (ins "unsigned":$width, "unsigned":$es);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPES_TD
