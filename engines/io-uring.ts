/**
 * `io-uring`: segment files written and read through io_uring (native addon, raw system calls, no
 * liburing). The appends of one turn of the event loop go to the kernel as one writev linked
 * (IOSQE_IO_LINK) to one fdatasync, in one io_uring_enter; each append resolves once that sync
 * completed: durable appends with group commit, and no threadpool round trip (completions arrive
 * through an eventfd polled on the loop). `io-uring-page-cache` is the same without the sync: an
 * append resolves when its write completed (the page cache), and flush.messages / flush.ms flush
 * from the Log, like pwrite. Where the kernel refuses io_uring (io_uring_disabled, a seccomp filter,
 * no io_uring) or the addon is not built, both are "unavailable: <reason>".
 */
import type { StorageEngine } from '../core/engine.js';
import { UringSegmentFile } from './io-uring-file.js';
import { uringUnavailable } from './io-uring-queue.js';

export const ioUringEngine: StorageEngine = {
  name: 'io-uring',
  supports: { durableAppend: true, groupCommit: true, preallocate: true, native: true },
  unavailable: uringUnavailable,
  open: (path, options) => UringSegmentFile.open(path, options, { durable: true }),
};

export const ioUringPageCacheEngine: StorageEngine = {
  name: 'io-uring-page-cache',
  supports: { durableAppend: false, groupCommit: false, preallocate: true, native: true },
  unavailable: uringUnavailable,
  open: (path, options) => UringSegmentFile.open(path, options, { durable: false }),
};
