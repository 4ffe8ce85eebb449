#pragma once
#include <napi.h>

namespace strata {
// posix_fadvise, fallocate, dup, close, sendfile, setNonBlocking, pageSize, preadNoWait,
// lockFile/unlockFile/lockHolder (OFD locks) and the FADV constants
void InitFileIo(Napi::Env env, Napi::Object exports);
}
