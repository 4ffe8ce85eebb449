// The produce path's per-record work in C: the record walk of a RecordBatch v2 records section
// and LZ4 block decoding into a caller's buffer (see records.cc).
#pragma once
#include <napi.h>

namespace strata {

void InitRecords(Napi::Env env, Napi::Object exports);

}  // namespace strata
