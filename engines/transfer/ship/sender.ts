/**
 * The sending side of log shipping: a partition's batches from an offset to a socket, framed as
 * framing.ts describes, through any Transfer (sendfile keeps the payload out of user space).
 */
import net from 'node:net';
import type { Log } from '../../../core/log/log.js';
import { StrataError } from '../../../core/errors.js';
import type { Transfer } from '../../../core/transfer.js';
import { decodeReply, encodeEnd, encodeHeader, type ShipReply } from './framing.js';

/** Bytes of slices handed to one Transfer.send: large enough that per-call costs vanish. */
export const SHIP_READ_BYTES_MAX = 16 << 20;

export interface ShipStats {
  /** Batch bytes sent (excluding header and end marker). */
  bytes: number;
  /** Base offset of the first batch sent (may be below the requested offset). */
  firstBatchOffset: number | undefined;
  /** Offset after the last batch sent. */
  nextOffset: number;
}

/**
 * Writes header, batches [from, log end at call time) and end marker to `socket`. The caller owns
 * the socket (connects it, reads the reply, closes it).
 */
export async function shipToSocket(
  socket: net.Socket,
  log: Log,
  topic: string,
  partition: number,
  fromOffset: number,
  transfer: Transfer,
  signal?: AbortSignal,
): Promise<ShipStats> {
  const endOffset = log.logEndOffset;
  checkFromOffset(log, topic, partition, fromOffset);
  socket.write(encodeHeader({ topic, partition, startOffset: fromOffset }));
  let offset = fromOffset;
  let bytes = 0;
  let firstBatchOffset: number | undefined;
  const readAt = (at: number) => {
    const read = log.read(at, SHIP_READ_BYTES_MAX);
    read.catch(() => {}); // awaited below; a send failing first must not leave it unhandled
    return read;
  };
  // one read ahead: the next slices are looked up (index, batch headers) while these are sent, so
  // the socket buffer does not run dry between reads
  let next = offset < endOffset ? readAt(offset) : undefined;
  while (next) {
    signal?.throwIfAborted();
    const info = await next;
    if (info.slices.length === 0) break;
    if (info.nextOffset <= offset) throw new Error(`assertion failed: read at ${offset} did not advance (next ${info.nextOffset})`);
    next = info.nextOffset < endOffset ? readAt(info.nextOffset) : undefined;
    firstBatchOffset ??= info.firstBatchOffset;
    const sent = await transfer.send(socket, info.slices, signal);
    if (sent !== info.bytes) throw new Error(`assertion failed: transfer sent ${sent} of ${info.bytes} bytes`);
    bytes += sent;
    offset = info.nextOffset;
  }
  socket.write(encodeEnd({ bytes, nextOffset: offset }));
  return { bytes, firstBatchOffset, nextOffset: offset };
}

function checkFromOffset(log: Log, topic: string, partition: number, fromOffset: number): void {
  if (!Number.isSafeInteger(fromOffset) || fromOffset < log.logStartOffset || fromOffset > log.logEndOffset) {
    throw new StrataError('OFFSET_OUT_OF_RANGE', `start offset ${fromOffset} is outside ${topic}-${partition}'s offsets [${log.logStartOffset}, ${log.logEndOffset}]`);
  }
}

export interface SendLogOptions {
  log: Log;
  topic: string;
  partition: number;
  fromOffset: number;
  host: string;
  port: number;
  transfer: Transfer;
  /** How long to wait for the receiver's reply after the end marker. */
  replyTimeoutMs?: number;
}

export interface SendLogResult extends ShipStats {
  reply: ShipReply;
  elapsedMs: number;
}

const REPLY_BYTES_MAX = 64 * 1024;

/** Connects to a `strata receive`, ships the log and waits for its verdict. */
export async function sendLog(opts: SendLogOptions): Promise<SendLogResult> {
  // before connecting: a bad offset must not look like a truncated stream to the receiver
  checkFromOffset(opts.log, opts.topic, opts.partition, opts.fromOffset);
  const t0 = performance.now();
  const socket = net.connect({ host: opts.host, port: opts.port });
  socket.setNoDelay(true);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new StrataError('INVALID_ARGUMENT', `cannot connect to receiver ${opts.host}:${opts.port}: ${err.message}`, { cause: err })));
    });
    // the reply may come early (a receiver rejecting the stream): read it all along, and stop
    // sending as soon as one arrives
    const abort = new AbortController();
    let replyBytes = Buffer.alloc(0);
    let reply: ShipReply | undefined;
    let replyError: Error | undefined;
    const replied = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        if (reply || replyError) return;
        replyBytes = Buffer.concat([replyBytes, chunk]);
        try {
          if (replyBytes.length > REPLY_BYTES_MAX) throw new StrataError('INVALID_ARGUMENT', `the receiver sent more than ${REPLY_BYTES_MAX} bytes without a whole reply`);
          reply = decodeReply(replyBytes);
        } catch (err) {
          replyError = err as Error;
        }
        if (reply || replyError) {
          abort.abort(new Error('the receiver replied before the stream ended'));
          resolve();
        }
      });
      socket.on('close', () => resolve());
    });
    socket.on('error', () => {}); // surfaced through the transfer or the missing reply
    let stats: ShipStats | undefined;
    let sendError: unknown;
    try {
      stats = await shipToSocket(socket, opts.log, opts.topic, opts.partition, opts.fromOffset, opts.transfer, abort.signal);
    } catch (err) {
      sendError = err;
    }
    // the receiver's verdict explains a failed send better than EPIPE does; give it a moment
    const timeoutMs = sendError ? 2_000 : (opts.replyTimeoutMs ?? 120_000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([replied, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (replyError) throw replyError;
    const r = reply as ShipReply | undefined;
    if (r && !r.ok) throw new StrataError('INVALID_ARGUMENT', `the receiver rejected the stream: ${r.message}`);
    if (sendError) throw sendError;
    if (!r) throw new StrataError('STORAGE_ERROR', `no reply from receiver ${opts.host}:${opts.port} ${socket.destroyed ? '(it closed the connection)' : `within ${timeoutMs} ms`}; its log may hold only part of the stream`);
    return { ...stats!, reply: r, elapsedMs: performance.now() - t0 };
  } finally {
    socket.destroy();
  }
}
