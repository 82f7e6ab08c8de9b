//===- LowbitBase.td - The lowbit dialect ------------------*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITBASE_TD
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITBASE_TD

include "mlir/IR/OpBase.td"

def Lowbit_Dialect : Dialect {
  let name = "lowbit";
  let cppNamespace = "::mlir::lowbit";
  let summary = "Low-precision number formats and mixed-precision tensor programs";
  let description = [{
    The `lowbit` dialect models arbitrary-width integers, minifloats of any
    exponent/mantissa split, posits, and (in later layers) block-scaled
    tensors and mixed-precision matrix products.

    Every element type implements `LowbitFormatTypeInterface`, which exposes
    the exact facts of the format (storage bits, range, special values, code
    count) and its MLIR builtin equivalent when one exists. The MLIR builtin
    float types that equal a lowbit format (`f8E4M3FN`, `f4E2M1FN`,
    `f8E8M0FNU`, `bf16`, ...) implement the same interface, so passes treat
    both spellings alike.

    The numbers themselves (decode, encode, arithmetic) come from the
    MLIR-independent `lowbit/Numerics` library; the type parameters map
    one-to-one onto its `lowbit::num::Format` descriptors.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Lowbit_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Lowbit_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

class Lowbit_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lowbit_Dialect, mnemonic, traits>;

#endif // LOWBIT_DIALECT_LOWBIT_IR_LOWBITBASE_TD
