#pragma once
#include <napi.h>

namespace strata {
// alignedBuffer(length, alignment): memory for O_DIRECT reads and writes
void InitAlignedIo(Napi::Env env, Napi::Object exports);
}
