//===- BufferizableOpInterfaceImpl.h - Bufferization of lowbit ops -*- C++ -*-===//
//
// The lowbit ops that stay until bufferization (kernel pieces the
// backends emit): lowbit.prefetch reads its tensor's buffer and becomes
// memref.prefetch. (As upstream's vector/Transforms/BufferizableOpInterfaceImpl.h.)
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_DIALECT_LOWBIT_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define LOWBIT_DIALECT_LOWBIT_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
namespace lowbit {
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace lowbit
} // namespace mlir

#endif
