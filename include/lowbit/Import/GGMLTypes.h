//===- GGMLTypes.h - ggml's tensor types as lowbit formats ------*- C++ -*-===//
//
// Every ggml block type that lowbit imports is described as data: the
// lowbit element type of its codes, the scheme of its scales, and for each
// bit field of the codes a BitLayout (lowbit/Layout/BitLayout.h) that says
// where, inside the block, every bit of every code is stored. Decoding a
// tensor applies the same description to every block; the code bits are
// read through byte tables built from the layouts once per type
// (GGMLTypes.cpp), so that the layout algebra, not a decoder per type, says
// what the packing is. Two things are not layouts and are written out:
// TQ1_0's base-3 digits and the K-quants' 4- and 6-bit sub-block scales.
//
// Named policies (docs/importing.md):
// * K-quant two-level scales (Q3_K, Q6_K) become one f32 scale per
//   sub-block, `d * sub_scale` (exact in f32: an 11-bit by 8-bit product);
//   those with a minimum (Q2_K, Q4_K, Q5_K) also one f32 offset,
//   `-(dmin * sub_min)`, under rule min_offset (value = q * scale +
//   offset, ggml's `d1 * q - m1` bit for bit). Q4_1 and Q5_1 keep their
//   f16 scale and minimum as min_offset's scale and offset.
// * MXFP4: code 8 (E2M1's -0, which ggml's table reads as +0) is imported
//   as code 0; a block scale 0xFF (NaN in OCP MX, 2^127 in ggml) is an
//   error.
// * TQ1_0 and TQ2_0 (ternary) are 2-bit two's complement codes
//   (!lowbit.int<2>: -1, 0, 1 as 3, 0, 1, the !lowbit.ternary patterns,
//   which group schemes do not take); TQ2_0's code 3 (ggml would read it
//   as +2) is an error.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_IMPORT_GGMLTYPES_H
#define LOWBIT_IMPORT_GGMLTYPES_H

#include "lowbit/Import/ImportedTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace lowbit::import {

/// ggml_type numbers (ggml.h); ids ggml dropped (31..33, 36..38) are absent.
enum class GGMLType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21,
  IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
  IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GGMLTypeInfo {
  GGMLType type;
  const char *name;        ///< ggml's name ("q4_0")
  uint32_t blockElements;  ///< elements per block (1 for plain types)
  uint32_t blockBytes;     ///< bytes per block
  bool imported;           ///< lowbit can import it (else an error names it)
};

/// The type with ggml number `id`, or null if ggml has no such type.
const GGMLTypeInfo *ggmlTypeInfo(uint32_t id);
/// Every known type, in id order.
llvm::ArrayRef<GGMLTypeInfo> ggmlTypes();

/// Decodes a tensor of `type` with ggml dims `dims` (dims[0] innermost)
/// into lowbit codes, scales and zero points. `data` must hold exactly the
/// tensor's bytes. Errors name the tensor and the block.
llvm::Expected<ImportedTensor> decodeGGMLTensor(llvm::StringRef name, uint32_t type,
                                                llvm::ArrayRef<uint64_t> dims,
                                                llvm::ArrayRef<uint8_t> data);

} // namespace lowbit::import

#endif
