/**
 * What O_DIRECT asks of its caller: buffers, file positions and lengths that are multiples of the
 * device's logical block size. The block size is the kernel's own figure for the device the file
 * lives on (/sys/dev/block/MAJ:MIN/queue/logical_block_size); the buffers come from the native
 * addon, since JavaScript cannot see (or choose) the address of a Buffer's memory.
 */
import fs from 'node:fs';
import { StrataError, assert } from '../../core/errors.js';
import { openRegularFile } from '../../core/regular-file.js';
import type { NativeAddon } from '../../native/index.js';

/** When sysfs does not say (no such device entry: overlay, FUSE, a container without /sys). */
export const BLOCK_BYTES_FALLBACK = 4096;
/** A block size larger than this is no device's: the sysfs figure is refused. */
const BLOCK_BYTES_MAX = 64 * 1024;

/** Linux's encoding of dev_t (the kernel's new_decode_dev): major and minor device numbers. */
export function deviceNumbers(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * The logical block size of the device holding the file `fd` refers to: its own queue's, or for a
 * partition its disk's (a partition's sysfs entry has no queue/ of its own), else the fallback.
 * Always a power of two: a figure that is not one is refused, never rounded.
 */
export function logicalBlockBytes(fd: number, sysfsRoot = '/sys/dev/block'): number {
  const { major, minor } = deviceNumbers(fs.fstatSync(fd).dev);
  const entry = `${sysfsRoot}/${major}:${minor}`;
  for (const candidate of [`${entry}/queue/logical_block_size`, `${entry}/../queue/logical_block_size`]) {
    let text: string;
    try {
      text = fs.readFileSync(candidate, 'utf8').trim();
    } catch {
      continue;
    }
    const bytes = Number(text);
    assert(isPowerOfTwo(bytes) && bytes >= 512 && bytes <= BLOCK_BYTES_MAX, `${candidate} says "${text}": not a power of two between 512 and ${BLOCK_BYTES_MAX}`);
    return bytes;
  }
  return BLOCK_BYTES_FALLBACK;
}

/** `length` bytes at an address that is a multiple of `alignment`, zeroed: O_DIRECT's buffers. */
export function alignedBuffer(native: Required<Pick<NativeAddon, 'alignedBuffer'>>, length: number, alignment: number): Buffer {
  assert(isPowerOfTwo(alignment), `alignment ${alignment} is not a power of two`);
  return Buffer.from(native.alignedBuffer(length, alignment));
}

export function roundDown(value: number, multiple: number): number {
  return Math.floor(value / multiple) * multiple;
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Opens `path` O_DIRECT (creating it when missing), a regular file only. A file system that refuses
 * direct I/O (tmpfs, some FUSE file systems: EINVAL) makes the engine unavailable there, saying so.
 */
export async function openDirect(path: string, engineName: string): Promise<number> {
  try {
    return await openRegularFile(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') {
      throw new StrataError('ENGINE_UNAVAILABLE', `unavailable: the file system of ${path} refuses O_DIRECT opens (EINVAL; tmpfs and some FUSE file systems do): the ${engineName} engine needs direct I/O`, { cause: err });
    }
    throw err;
  }
}
