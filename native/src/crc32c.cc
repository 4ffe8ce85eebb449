// CRC-32C (Castagnoli), the checksum of every RecordBatch v2, with the CPU's crc32 instruction run
// on three streams at once.
//
// Why here: the log checks the CRC of every produced batch before it writes it (as Kafka's
// LogValidator does for a client's batch), so the checksum runs in series with the append on the
// event loop. One crc32 instruction chain is bound by the instruction's latency (3 cycles for 8
// bytes); three independent chains over three blocks keep the unit busy every cycle, and the three
// partial CRCs are joined with a precomputed "append n zero bytes" operator. Java's CRC32C
// intrinsic, which Kafka uses, does the same.
//
// crc32c(data, previous?) has @node-rs/crc32's contract (core/format/crc32c.ts): the finished CRC
// of `data`, continuing from `previous`, the finished CRC of the bytes before it. Exported only on
// x86-64 CPUs with SSE4.2; elsewhere core/format/crc32c.ts keeps @node-rs/crc32.
#include "crc32c.h"

#include <stdint.h>
#include <string.h>

#include "args.h"
#include "errors.h"

#if defined(__x86_64__)
#include <nmmintrin.h>

namespace strata {

namespace {

// Block lengths of the three-stream loops: long blocks for the bulk of a batch, short ones for its
// tail, then single bytes. Multiples of 8 (one crc32 instruction each).
constexpr size_t kLongBytes = 8192;
constexpr size_t kShortBytes = 256;

// shift[k][b] = the register after running n zero bytes through the CRC from register b << 8k:
// the linear map "append n zero bytes", one table per byte of the register.
struct ZeroShift {
  uint32_t table[4][256];
};

ZeroShift longShift;
ZeroShift shortShift;

__attribute__((target("sse4.2"))) uint32_t ZeroBytes(uint32_t reg, size_t n) {
  uint64_t r = reg;
  for (size_t i = 0; i < n / 8; i++) r = _mm_crc32_u64(r, 0);
  return static_cast<uint32_t>(r);
}

void BuildShift(ZeroShift& s, size_t n) {
  uint32_t bit[32];
  for (int b = 0; b < 32; b++) bit[b] = ZeroBytes(1u << b, n);
  for (int k = 0; k < 4; k++) {
    for (int v = 0; v < 256; v++) {
      uint32_t out = 0;
      for (int i = 0; i < 8; i++) {
        if (v & (1 << i)) out ^= bit[8 * k + i];
      }
      s.table[k][v] = out;
    }
  }
}

inline uint32_t Shift(const ZeroShift& s, uint32_t reg) {
  return s.table[0][reg & 0xff] ^ s.table[1][(reg >> 8) & 0xff] ^ s.table[2][(reg >> 16) & 0xff] ^ s.table[3][reg >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// Three blocks of `block` bytes each from p, joined into one register.
__attribute__((target("sse4.2"))) uint32_t ThreeBlocks(uint32_t reg, const uint8_t* p, size_t block, const ZeroShift& shift) {
  uint64_t c0 = reg;
  uint64_t c1 = 0;
  uint64_t c2 = 0;
  for (size_t i = 0; i < block; i += 8) {
    c0 = _mm_crc32_u64(c0, Load64(p + i));
    c1 = _mm_crc32_u64(c1, Load64(p + block + i));
    c2 = _mm_crc32_u64(c2, Load64(p + 2 * block + i));
  }
  uint32_t joined = Shift(shift, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
  return Shift(shift, joined) ^ static_cast<uint32_t>(c2);
}

__attribute__((target("sse4.2"))) uint32_t Crc32c(uint32_t previous, const uint8_t* p, size_t n) {
  uint32_t reg = ~previous;
  for (; n >= 3 * kLongBytes; p += 3 * kLongBytes, n -= 3 * kLongBytes) reg = ThreeBlocks(reg, p, kLongBytes, longShift);
  for (; n >= 3 * kShortBytes; p += 3 * kShortBytes, n -= 3 * kShortBytes) reg = ThreeBlocks(reg, p, kShortBytes, shortShift);
  uint64_t r = reg;
  for (; n >= 8; p += 8, n -= 8) r = _mm_crc32_u64(r, Load64(p));
  reg = static_cast<uint32_t>(r);
  for (; n > 0; p++, n--) reg = _mm_crc32_u8(reg, *p);
  return ~reg;
}

Napi::Value Crc32cJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) ThrowArgType(env, "data", "a Buffer");
  Napi::Buffer<uint8_t> data = info[0].As<Napi::Buffer<uint8_t>>();
  uint32_t previous = 0;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    int64_t value = ArgSize(info, 1, "previous");
    if (value > UINT32_MAX) ThrowArgRange(env, "previous", "A CRC is a 32-bit unsigned integer.");
    previous = static_cast<uint32_t>(value);
  }
  return Napi::Number::New(env, Crc32c(previous, data.Data(), data.Length()));
}

}  // namespace

void InitCrc32c(Napi::Env env, Napi::Object exports) {
  if (!__builtin_cpu_supports("sse4.2")) return;
  BuildShift(longShift, kLongBytes);
  BuildShift(shortShift, kShortBytes);
  exports.Set("crc32c", Napi::Function::New(env, Crc32cJs, "crc32c"));
}

}  // namespace strata

#else

namespace strata {

void InitCrc32c(Napi::Env, Napi::Object) {}

}  // namespace strata

#endif
