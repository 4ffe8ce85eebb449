#pragma once
#include <napi.h>

namespace strata {
// posix_fadvise, fallocate, dup, close, sendfile, setNonBlocking, pageSize, preadNoWait, flock
// and the FADV and LOCK constants
void InitFileIo(Napi::Env env, Napi::Object exports);
}
