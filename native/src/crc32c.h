// CRC-32C of RecordBatch v2 with the CPU's crc32 instruction (see crc32c.cc).
#pragma once
#include <napi.h>

namespace strata {

// Exports crc32c(data, previous?) when the CPU has it (x86-64 with SSE4.2); nothing otherwise.
void InitCrc32c(Napi::Env env, Napi::Object exports);

}  // namespace strata
