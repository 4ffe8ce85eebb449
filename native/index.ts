/**
 * The native addon (native/src, built by node-gyp during `npm install`). Everything that does not
 * need it works without it; loadNative() returns undefined when it was not built.
 * (The addon itself arrives with the native I/O issue; until then this always returns undefined.)
 */
export interface NativeAddon {
  fallocate(fd: number, offset: number, length: number): void;
}

export function loadNative(): NativeAddon | undefined {
  return undefined;
}
