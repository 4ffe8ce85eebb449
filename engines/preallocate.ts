/**
 * Reserving file space ahead of appends. An append that extends a file costs 60-90 us more than an
 * overwrite of allocated space on this disk (size and extent updates), so segments may be
 * preallocated. fallocate(2) (native addon) allocates real blocks; without the addon, ftruncate
 * ahead saves the size updates only (the blocks stay sparse).
 */
import { ftruncateFd } from './fs-io.js';
import { loadNative } from '../native/index.js';

export async function preallocateFile(fd: number, fromBytes: number, toBytes: number): Promise<void> {
  if (toBytes <= fromBytes) return;
  const native = loadNative();
  if (native) {
    native.fallocate(fd, fromBytes, toBytes - fromBytes);
    return;
  }
  await ftruncateFd(fd, toBytes);
}
