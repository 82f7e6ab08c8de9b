// RUN: lowbit-opt %s -split-input-file -verify-diagnostics

// One case per parameter diagnostic of the lowbit element types. The error is
// reported at the offending parameter.

// expected-error @below {{integer width N must be in 1..32, got 0}}
func.func private @f(!lowbit.int<0>)

// -----

// expected-error @below {{integer width N must be in 1..32, got 33}}
func.func private @f(!lowbit.int<33, unsigned>)

// -----

// expected-error @below {{unknown integer encoding 'offset' (expected signed, unsigned or bipolar)}}
func.func private @f(!lowbit.int<4, offset>)

// -----

// expected-error @below {{expected 'eEmM' (for example e4m3), got 'e4'}}
func.func private @f(!lowbit.float<e4>)

// -----

// expected-error @below {{exponent width E must be in 0..8, got 9}}
func.func private @f(!lowbit.float<e9m2>)

// -----

// expected-error @below {{mantissa width M must be in 0..23, got 24}}
func.func private @f(!lowbit.float<e1m24>)

// -----

// expected-error @below {{a float needs at least one exponent or mantissa bit (E+M >= 1)}}
func.func private @f(!lowbit.float<e0m0>)

// -----

// expected-error @below {{kind 'ieee' needs an exponent field (E >= 1); E = 0 (fixed point) allows only 'finite'}}
func.func private @f(!lowbit.float<e0m3, ieee>)

// -----

// expected-error @below {{E = 0 (fixed point) has only subnormal codes; 'nosubnormal' is not allowed}}
func.func private @f(!lowbit.float<e0m3, nosubnormal>)

// -----

// expected-error @below {{bias must be in -255..255, got 256}}
func.func private @f(!lowbit.float<e4m3, bias = 256>)

// -----

// expected-error @below {{bias must be in -255..255, got -256}}
func.func private @f(!lowbit.float<e4m3, fn, bias = -256>)

// -----

// expected-error @below {{unknown float parameter 'saturating' (expected finite, ieee, fn, fnuz, unsigned, bias = B or nosubnormal)}}
func.func private @f(!lowbit.float<e4m3, saturating>)

// -----

// expected-error @below {{posit width N must be in 2..32, got 1}}
func.func private @f(!lowbit.posit<1, 0>)

// -----

// expected-error @below {{posit width N must be in 2..32, got 64}}
func.func private @f(!lowbit.posit<64, 2>)

// -----

// expected-error @below {{posit exponent size ES must be in 0..4, got 5}}
func.func private @f(!lowbit.posit<16, 5>)
