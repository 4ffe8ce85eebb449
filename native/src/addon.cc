// strata_native: the system calls strata needs that Node does not expose (see native/index.ts for
// the JS signatures and docs/native.md for how to build it).
#include <napi.h>

#include "aligned_io.h"
#include "crc32c.h"
#include "fileio.h"
#include "mapping.h"
#include "poller.h"
#include "records.h"
#include "uring.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  strata::InitMapping(env, exports);
  strata::InitFileIo(env, exports);
  strata::InitPoller(env, exports);
  strata::InitRecords(env, exports);
  strata::InitCrc32c(env, exports);
  strata::InitUring(env, exports);
  strata::InitAlignedIo(env, exports);
  exports.Set("version", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(strata_native, Init)
