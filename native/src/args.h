// Argument checks shared by every function: JS numbers that must be file descriptors, byte offsets
// or lengths (integers within Number.MAX_SAFE_INTEGER), booleans, and ArrayBuffers.
#pragma once
#include <napi.h>
#include <stdint.h>

namespace strata {

int ArgFd(const Napi::CallbackInfo& info, size_t index, const char* name);
// A non-negative safe integer (byte offset or length).
int64_t ArgSize(const Napi::CallbackInfo& info, size_t index, const char* name);
// Any safe integer (advice constants).
int ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name);
bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* name);
Napi::ArrayBuffer ArgArrayBuffer(const Napi::CallbackInfo& info, size_t index, const char* name);

}  // namespace strata
