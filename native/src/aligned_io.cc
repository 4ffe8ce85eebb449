// Memory aligned for O_DIRECT: the kernel refuses (EINVAL) a direct read or write whose buffer
// address is not a multiple of the device's logical block size, and JavaScript cannot see the
// address of the memory behind a Buffer, so the direct engine takes its buffers from here.
#include "aligned_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "errors.h"

namespace strata {

namespace {

// The largest alignment asked for: a logical block size above this is no device's.
constexpr int64_t kAlignmentMax = 1 << 20;
// One buffer at most this big: a direct engine's chunk, never a whole segment.
constexpr int64_t kLengthMax = int64_t(1) << 30;

// the finalizer: the memory goes, and V8 stops counting it towards its heap pressure
void FreeAligned(Napi::Env env, void* data, int64_t* length) {
  free(data);
  Napi::MemoryManagement::AdjustExternalMemory(env, -*length);
  delete length;
}

// alignedBuffer(length, alignment) -> ArrayBuffer of `length` zeroed bytes whose address is a
// multiple of `alignment` (a power of two); freed when the ArrayBuffer is garbage collected
Napi::Value AlignedBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t length = ArgSize(info, 0, "length");
  int64_t alignment = ArgSize(info, 1, "alignment");
  if (length == 0 || length > kLengthMax) ThrowArgRange(env, "length", "between 1 and 2^30");
  if (alignment < static_cast<int64_t>(sizeof(void*)) || alignment > kAlignmentMax || (alignment & (alignment - 1)) != 0) {
    ThrowArgRange(env, "alignment", "a power of two between the pointer size and 2^20");
  }
  void* data = nullptr;
  int err = posix_memalign(&data, static_cast<size_t>(alignment), static_cast<size_t>(length));
  if (err != 0) ThrowErrno(env, err, "posix_memalign");
  memset(data, 0, static_cast<size_t>(length));
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, data, static_cast<size_t>(length), FreeAligned, new int64_t(length));
  // large external memory the GC does not see would let garbage buffers pile up between collections
  Napi::MemoryManagement::AdjustExternalMemory(env, length);
  return buffer;
}

}  // namespace

void InitAlignedIo(Napi::Env env, Napi::Object exports) {
  exports.Set("alignedBuffer", Napi::Function::New(env, AlignedBuffer, "alignedBuffer"));
}

}  // namespace strata
