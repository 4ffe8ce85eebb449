// What a Produce costs per record, in C (broker/produce-validator.ts, codecs/lz4.ts):
//
// walkRecords(section, recordsCount) is the record walk of Kafka's LogValidator for one batch:
// true when the section holds exactly recordsCount well-formed records whose offset deltas are
// 0..n-1. It accepts exactly what the JS walk (walkRecords in produce-validator.ts) accepts; on
// false the JS walk runs to say what is wrong and where, so every message has one source. Measured
// with kcat lz4 produce: the JS walk cost ~77 ns per 100-byte record, most of validation's CPU
// after decompression.
//
// lz4DecompressBlock(src, srcOffset, srcBytes, dst, dstOffset, dstBytes) decodes one LZ4 block
// into dst[dstOffset, dstOffset + dstBytes) with the system's liblz4 (LZ4_decompress_safe, the
// reference decoder; Kafka's lz4-java wraps the same C code): the bytes written, or -1 when the
// block is corrupt or does not fit. Decoding into one buffer replaces, per block, lz4-napi's
// fresh output buffer, a copy of the input and a final concatenation: external memory that drove
// a V8 Mark-Compact every ~80 ms of a kcat produce. liblz4 is opened with dlopen, so the addon
// builds without its headers; without liblz4.so.1 the function is absent and lz4-napi decodes.
#include "records.h"

#include <dlfcn.h>
#include <stdint.h>

#include "args.h"
#include "errors.h"

namespace strata {

namespace {

// Mirrors readVarint in core/format/varint.ts: at most 5 bytes, bits past 32 dropped as there.
inline bool Varint(const uint8_t* p, size_t& at, size_t end, int32_t& out) {
  uint32_t raw = 0;
  unsigned shift = 0;
  for (int i = 0; i < 5; i++) {
    if (at >= end) return false;
    uint8_t b = p[at++];
    raw |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      out = static_cast<int32_t>((raw >> 1) ^ (0u - (raw & 1)));
      return true;
    }
    shift += 7;
  }
  return false;
}

// readVarlong's length rule (at most 10 bytes); the value (a timestamp delta) is not needed.
inline bool SkipVarlong(const uint8_t* p, size_t& at, size_t end) {
  for (int i = 0; i < 10; i++) {
    if (at >= end) return false;
    if ((p[at++] & 0x80) == 0) return true;
  }
  return false;
}

// skipBytes: a length (-1 = null when nullable) and that many bytes inside the record.
inline bool SkipBytes(const uint8_t* p, size_t& at, size_t end, bool nullable) {
  int32_t length;
  if (!Varint(p, at, end, length)) return false;
  if (length < (nullable ? -1 : 0)) return false;
  if (length > 0) {
    if (at + static_cast<size_t>(length) > end) return false;
    at += static_cast<size_t>(length);
  }
  return true;
}

// walkRecord: one record at `at`; on success `at` is where the next one starts.
inline bool WalkRecord(const uint8_t* p, size_t& at, size_t n, int64_t i) {
  size_t c = at;
  int32_t length;
  if (!Varint(p, c, n, length)) return false;
  if (length < 1 || c + static_cast<size_t>(length) > n) return false;
  const size_t end = c + static_cast<size_t>(length);
  c += 1;  // attributes
  if (!SkipVarlong(p, c, end)) return false;  // timestampDelta
  int32_t offsetDelta;
  if (!Varint(p, c, end, offsetDelta) || offsetDelta != i) return false;
  if (!SkipBytes(p, c, end, true) || !SkipBytes(p, c, end, true)) return false;  // key, value
  int32_t headers;
  if (!Varint(p, c, end, headers) || headers < 0) return false;
  for (int32_t h = 0; h < headers; h++) {
    if (!SkipBytes(p, c, end, false) || !SkipBytes(p, c, end, true)) return false;
  }
  if (c != end) return false;
  at = end;
  return true;
}

Napi::Value WalkRecords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) ThrowArgType(env, "section", "a Buffer");
  Napi::Buffer<uint8_t> section = info[0].As<Napi::Buffer<uint8_t>>();
  int64_t count = ArgSize(info, 1, "recordsCount");
  const uint8_t* p = section.Data();
  const size_t n = section.Length();
  size_t at = 0;
  for (int64_t i = 0; i < count; i++) {
    if (at >= n || !WalkRecord(p, at, n, i)) return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, at == n);
}

typedef int (*Lz4DecompressSafe)(const char* src, char* dst, int compressedSize, int dstCapacity);

Lz4DecompressSafe OpenLz4() {
  void* lib = dlopen("liblz4.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return nullptr;
  return reinterpret_cast<Lz4DecompressSafe>(dlsym(lib, "LZ4_decompress_safe"));
}

Lz4DecompressSafe lz4DecompressSafe = nullptr;

// A range [offset, offset + bytes) of the Buffer argument at `index`, checked against its length.
uint8_t* BufferRange(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t& bytes) {
  if (info.Length() <= index || !info[index].IsBuffer()) ThrowArgType(info.Env(), name, "a Buffer");
  Napi::Buffer<uint8_t> buffer = info[index].As<Napi::Buffer<uint8_t>>();
  int64_t offset = ArgSize(info, index + 1, "offset");
  bytes = ArgSize(info, index + 2, "bytes");
  if (offset + bytes > static_cast<int64_t>(buffer.Length()) || bytes > INT32_MAX) {
    ThrowArgRange(info.Env(), name, "The range must lie inside the buffer (and below 2 GiB).");
  }
  return buffer.Data() + offset;
}

Napi::Value Lz4DecompressBlock(const Napi::CallbackInfo& info) {
  int64_t srcBytes = 0;
  int64_t dstBytes = 0;
  const uint8_t* src = BufferRange(info, 0, "src", srcBytes);
  uint8_t* dst = BufferRange(info, 3, "dst", dstBytes);
  int n = lz4DecompressSafe(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst), static_cast<int>(srcBytes), static_cast<int>(dstBytes));
  return Napi::Number::New(info.Env(), n < 0 ? -1 : n);
}

}  // namespace

void InitRecords(Napi::Env env, Napi::Object exports) {
  exports.Set("walkRecords", Napi::Function::New(env, WalkRecords, "walkRecords"));
  lz4DecompressSafe = OpenLz4();
  if (lz4DecompressSafe != nullptr) exports.Set("lz4DecompressBlock", Napi::Function::New(env, Lz4DecompressBlock, "lz4DecompressBlock"));
}

}  // namespace strata
