/**
 * The process's io_uring (native addon, native/src/uring.cc), shared by every segment file the
 * io-uring engines open: operations are queued as linked chains, handed to the kernel in one
 * io_uring_enter per turn of the event loop's microtasks (so the appends of many producers in one
 * turn go in one submission), and their completions arrive through the ring's eventfd on the loop.
 * Nothing here waits in the kernel.
 */
import { getSystemErrorMap } from 'node:util';
import { StrataError, assert } from '../core/errors.js';
import { nativeUnavailableReason, requireNative, type NativeIoUring } from '../native/index.js';

/** Submission entries of the ring (the completion queue is twice this). */
const RING_ENTRIES = 256;
/** How long a submission the kernel refused for the moment (EAGAIN, EBUSY) waits before it is tried again. */
const SUBMIT_RETRY_MS = 1;
/** io_uring caps one read or write at this (like read(2)'s MAX_RW_COUNT). */
export const URING_IO_BYTES_MAX = 0x7ffff000;

export type UringOp =
  | { kind: 'writev'; fd: number; buffers: readonly Buffer[]; position: number }
  | { kind: 'read'; fd: number; buffer: Buffer; offset: number; length: number; position: number }
  | { kind: 'fdatasync'; fd: number };

/** -ECANCELED: a linked operation not started because one before it failed or came up short. */
export const URING_CANCELED = -125;

interface Chain {
  ops: readonly UringOp[];
  results: number[];
  remaining: number;
  resolve: (results: number[]) => void;
}

/** A Node-style error for a negative io_uring result: code 'ENOSPC', errno, syscall, the file named. */
export function uringError(res: number, syscall: string, path: string): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(res) ?? [`E${-res}`, 'unknown error'];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, io_uring ${syscall} of ${path}`);
  err.code = code;
  err.errno = res;
  err.syscall = syscall;
  err.path = path;
  return err;
}

export class UringQueue {
  private nextUserData = 1;
  /** The chain and the index in it of each operation in flight, by userData. */
  private readonly inFlight = new Map<number, { chain: Chain; index: number }>();
  /** Chains waiting for room in the completion queue, first come first served. */
  private readonly waiting: Chain[] = [];
  private submitQueued = false;
  private readonly submit = () => this.submitNow();

  constructor(private readonly ring: NativeIoUring) {}

  /**
   * Runs `ops` in order, each starting after the one before completed in full (IOSQE_IO_LINK): the
   * result of each (bytes, 0, or a negative errno; URING_CANCELED for those after a failed or
   * short one). Never rejects: the caller judges the results.
   */
  chain(ops: readonly UringOp[]): Promise<number[]> {
    assert(ops.length > 0 && ops.length <= RING_ENTRIES, () => `an io_uring chain of ${ops.length} operations (1..${RING_ENTRIES})`);
    return new Promise((resolve) => {
      const chain: Chain = { ops, results: new Array<number>(ops.length), remaining: ops.length, resolve };
      if (this.waiting.length > 0 || !this.tryQueue(chain)) this.waiting.push(chain);
    });
  }

  /** Operations queued or in the kernel. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Queues the chain's operations in the ring when the completion queue has room for them all. */
  private tryQueue(chain: Chain): boolean {
    // bounded by the completion queue, so no completion ever waits in the kernel's overflow list
    if (this.inFlight.size + chain.ops.length > this.ring.cqEntries) return false;
    // a chain split over two submissions would not be linked: all of it goes in one
    if (this.ring.sqFree < chain.ops.length) this.submitNow();
    // still full (a submit refused for the moment): waits for completions or the retry
    if (this.ring.sqFree < chain.ops.length) return false;
    chain.ops.forEach((op, index) => {
      const userData = this.nextUserData++;
      const link = index < chain.ops.length - 1;
      const queued =
        op.kind === 'writev'
          ? this.ring.writev(op.fd, op.buffers, op.position, userData, link)
          : op.kind === 'read'
            ? this.ring.read(op.fd, op.buffer, op.offset, op.length, op.position, userData, link)
            : this.ring.fdatasync(op.fd, userData, link);
      assert(queued, 'the io_uring submission queue had no room after a submit');
      this.inFlight.set(userData, { chain, index });
    });
    if (!this.submitQueued) {
      this.submitQueued = true;
      queueMicrotask(this.submit);
    }
    return true;
  }

  private submitNow(): void {
    this.submitQueued = false;
    try {
      // the kernel takes every entry unless it fails outright (EINTR is retried in the addon)
      this.ring.submit();
    } catch (err) {
      // out of memory for the moment (EAGAIN) or completions to reap first (EBUSY): the entries
      // stay in the submission queue and go with a later submit; anything else is a broken ring
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EBUSY') throw err;
      if (!this.submitQueued) {
        this.submitQueued = true;
        setTimeout(this.submit, SUBMIT_RETRY_MS);
      }
    }
  }

  /** The ring's completion callback. */
  readonly complete = (userDatas: number[], results: number[]): void => {
    for (let i = 0; i < userDatas.length; i++) {
      const entry = this.inFlight.get(userDatas[i]!);
      assert(entry !== undefined, () => `io_uring completion for unknown operation ${userDatas[i]}`);
      this.inFlight.delete(userDatas[i]!);
      entry.chain.results[entry.index] = results[i]!;
      if (--entry.chain.remaining === 0) entry.chain.resolve(entry.chain.results);
    }
    while (this.waiting.length > 0 && this.tryQueue(this.waiting[0]!)) this.waiting.shift();
  };
}

let shared: { queue?: UringQueue; why: string } | undefined;

function makeShared(): { queue?: UringQueue; why: string } {
  const missing = nativeUnavailableReason('the io-uring engine');
  if (missing) return { why: missing };
  const native = requireNative('the io-uring engine');
  if (!native.IoUring || !native.ioUringUnavailable) return { why: 'unavailable: the native addon was built before io_uring support (fix: npm run build:native)' };
  const refused = native.ioUringUnavailable();
  if (refused) return { why: `unavailable: the kernel refuses io_uring here (${refused})` };
  let queue: UringQueue | undefined;
  try {
    const ring = new native.IoUring(RING_ENTRIES, (userDatas, results) => queue!.complete(userDatas, results));
    queue = new UringQueue(ring);
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    return { why: `unavailable: the kernel refuses io_uring here (${reason})` };
  }
  return { queue, why: '' };
}

/** Why the io-uring engines cannot work here ("unavailable: ..."), or undefined when they can. */
export function uringUnavailable(): string | undefined {
  shared ??= makeShared();
  return shared.queue ? undefined : shared.why;
}

/** The process's ring, made on first use; ENGINE_UNAVAILABLE with the reason where there can be none. */
export function sharedUringQueue(): UringQueue {
  shared ??= makeShared();
  if (!shared.queue) throw new StrataError('ENGINE_UNAVAILABLE', shared.why);
  return shared.queue;
}
