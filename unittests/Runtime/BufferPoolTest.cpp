//===- BufferPoolTest.cpp - The allocator of compiled functions' buffers --===//
//
// lib/AOTRuntime/BufferPool.c: what generated code's memref.alloc and
// memref.dealloc call. A freed buffer of 16 KiB or more is handed to the
// next allocation of its size class (so a function called again reuses the
// pages it touched); every block is 64-byte aligned and holds the bytes
// asked for; threads allocating and freeing at once get disjoint buffers.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes);
extern "C" void _mlir_memref_to_llvm_free(void *ptr);

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#elif defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST(BufferPool, AlignedAndWritable) {
  for (size_t bytes : {size_t(1), size_t(100), size_t(16383), size_t(16384), size_t(20000),
                       size_t(1) << 20, (size_t(1) << 20) + 1, size_t(3) << 22}) {
    auto *p = static_cast<unsigned char *>(_mlir_memref_to_llvm_alloc(bytes));
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    std::memset(p, 0xab, bytes); // every byte asked for is the caller's
    EXPECT_EQ(p[bytes - 1], 0xab);
    _mlir_memref_to_llvm_free(p);
  }
  _mlir_memref_to_llvm_free(nullptr); // as free(NULL)
}

TEST(BufferPool, ReusesAFreedBufferOfItsClass) {
  if (kSanitized)
    GTEST_SKIP() << "under AddressSanitizer the pool keeps nothing (every buffer back to libc)";
  void *a = _mlir_memref_to_llvm_alloc(300000);
  _mlir_memref_to_llvm_free(a);
  // 300000 and 290000 bytes are one class (2^18 * 1.25 = 327680).
  void *b = _mlir_memref_to_llvm_alloc(290000);
  EXPECT_EQ(a, b);
  // Another class gets another block.
  void *c = _mlir_memref_to_llvm_alloc(600000);
  EXPECT_NE(c, b);
  _mlir_memref_to_llvm_free(b);
  _mlir_memref_to_llvm_free(c);
  // Small buffers are plain malloc: nothing to check but that they work.
  void *s = _mlir_memref_to_llvm_alloc(64);
  ASSERT_NE(s, nullptr);
  _mlir_memref_to_llvm_free(s);
}

TEST(BufferPool, ThreadsGetDisjointBuffers) {
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &bad] {
      for (int i = 0; i < 200; ++i) {
        size_t bytes = 16384 + static_cast<size_t>((i * 7 + t) % 5) * 40000;
        auto *p = static_cast<unsigned char *>(_mlir_memref_to_llvm_alloc(bytes));
        std::memset(p, t + 1, bytes);
        std::this_thread::yield();
        for (size_t j = 0; j < bytes; j += 4096)
          if (p[j] != t + 1)
            ++bad;
        _mlir_memref_to_llvm_free(p);
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(bad.load(), 0);
}

} // namespace
