//===- LowbitTypeInterfaces.td - Number format interface ---*- tablegen -*-===//
#ifndef LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPEINTERFACES_TD
#define LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPEINTERFACES_TD

include "mlir/IR/OpBase.td"

def LowbitFormatTypeInterface : TypeInterface<"LowbitFormatTypeInterface"> {
  let cppNamespace = "::mlir::lowbit";
  let description = [{
    A type whose values are codes of a `lowbit::num::Format`: every lowbit
    element type, and the MLIR builtin float types that equal a lowbit
    format (attached as external models by
    `registerBuiltinFormatInterfaceExternalModels`). Passes ask this
    interface for the facts of a format instead of switching over types.
  }];
  let methods = [
    InterfaceMethod<"The number format of this type.",
      "::lowbit::num::Format", "getFormat">,
  ];
  let extraSharedClassDeclaration = [{
    /// Bits of one code in storage.
    unsigned getStorageBits() const { return $_type.getFormat().bits(); }
    /// Whether the format has negative values.
    bool isSignedFormat() const { return $_type.getFormat().isSigned(); }
    /// Exact extreme finite values.
    double getMaxFinite() const { return $_type.getFormat().maxFinite(); }
    double getLowestFinite() const { return $_type.getFormat().lowestFinite(); }
    /// Smallest positive value (minpos for posits, 1 for integers).
    double getSmallestPositive() const {
      return $_type.getFormat().smallestPositive();
    }
    /// Smallest positive normal value (NaN for fixed-point E = 0 formats).
    double getSmallestNormal() const {
      return $_type.getFormat().smallestNormal();
    }
    bool hasInf() const { return $_type.getFormat().hasInf(); }
    /// NaN, or NaR for posits.
    bool hasNaN() const { return $_type.getFormat().hasNaN(); }
    bool hasNegativeZero() const { return $_type.getFormat().hasNegativeZero(); }
    /// Number of valid codes (2^bits, 3 for ternary).
    uint64_t getNumCodes() const { return $_type.getFormat().numCodes(); }
    /// The identical MLIR builtin float type, or null.
    ::mlir::Type getBuiltinEquivalent() const {
      return ::mlir::lowbit::getBuiltinType($_type.getContext(),
                                            $_type.getFormat());
    }
  }];
}

#endif // LOWBIT_DIALECT_LOWBIT_IR_LOWBITTYPEINTERFACES_TD
