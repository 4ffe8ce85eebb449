/**
 * The receiving side of log shipping: accepts one connection, validates every batch (CRC and all,
 * and every record: the log's validator), and appends them to a partition log keeping their offsets, so the result is a byte-identical copy
 * of the sender's batches. Only whole, valid batches are appended; a corrupt or truncated stream is
 * rejected (reply status 1, the error thrown) and the log keeps the good batches before the damage.
 */
import net from 'node:net';
import { CorruptRecordError, StrataError } from '../../../core/errors.js';
import { APPEND_BYTES_MAX, type Log } from '../../../core/log/log.js';
import { encodeReply, ShipStreamDecoder, type ShipHeader } from './framing.js';
import { BatchCursor, concatValidated, type ValidatedBatches } from '../../../core/format/batch-cursor.js';
import { RecordValidationError, type ValidatedRecords } from '../../../core/log/log-validator.js';

/** Validated batches are gathered up to this many bytes (or segment.bytes, if less) per Log.append. */
export const RECEIVE_APPEND_BYTES = 4 << 20;
/** After rejecting, how long to drain the sender's bytes so our reply is not lost to a reset. */
const REJECT_DRAIN_MS = 5_000;
const EMPTY = Buffer.alloc(0);
/** Appends issued and not yet acknowledged, at most. */
const APPENDS_IN_FLIGHT_MAX = 4;
/** Batches this large are appended on their own, without being copied into a group. */
const BIG_BATCH_BYTES = 256 * 1024;

export interface ReceiveLogOptions {
  host: string;
  port: number;
  /** The partition this receiver writes; a stream for another is rejected. */
  topic: string;
  partition: number;
  /** Opens the destination log once the header arrived and matched. */
  openLog: (header: ShipHeader) => Promise<Log>;
  /** Called with the bound address once listening (port 0 picks a free port). */
  onListening?: (address: net.AddressInfo) => void;
}

export interface ReceiveLogResult {
  header: ShipHeader;
  bytes: number;
  batches: number;
  /** Offsets appended, when any batch was. */
  firstOffset: number | undefined;
  lastOffset: number | undefined;
  logEndOffset: number;
}

export async function receiveLog(opts: ReceiveLogOptions): Promise<ReceiveLogResult> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new StrataError('INVALID_ARGUMENT', `cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, opts.host, resolve);
  });
  opts.onListening?.(server.address() as net.AddressInfo);
  const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  server.close(); // one stream per run
  socket.on('error', () => {}); // a reset surfaces as the stream ending early
  try {
    return await receiveFrom(socket, opts);
  } finally {
    socket.destroy();
  }
}

async function receiveFrom(socket: net.Socket, opts: ReceiveLogOptions): Promise<ReceiveLogResult> {
  // until the destination log is open, the largest batch any append takes bounds what we buffer
  const decoder = new ShipStreamDecoder(APPEND_BYTES_MAX);
  let header: ShipHeader | undefined;
  let log: Log | undefined;
  let gathered: ValidatedBatches[] = [];
  let gatheredBytes = 0;
  let appendBytesMax = RECEIVE_APPEND_BYTES;
  let bytes = 0;
  let batches = 0;
  let firstOffset: number | undefined;
  let lastOffset: number | undefined;

  // appends overlap with reading the socket: up to APPENDS_IN_FLIGHT_MAX are issued before the
  // oldest is awaited (the log keeps their order and acknowledges them in order)
  const inFlight: Promise<void>[] = [];
  let appendError: Error | undefined;
  /** Appends batches validated to the last record, keeping their offsets. */
  const issue = async (records: ValidatedRecords, n: number): Promise<void> => {
    const target = log!;
    const appended = target.appendValidated(records, { offsets: 'keep' }).then(
      (info) => {
        firstOffset ??= info.firstOffset;
        lastOffset = info.lastOffset;
        bytes += records.buffer.length;
        batches += n;
      },
      (err: unknown) => {
        if (appendError) return; // later appends fail for the same reason
        appendError =
          err instanceof StrataError && err.code === 'INVALID_ARGUMENT'
            ? new StrataError('INVALID_ARGUMENT', `cannot append the stream's batches to ${target.dir} (log end offset ${target.logEndOffset}): ${err.message}`, { cause: err })
            : (err as Error);
      },
    );
    inFlight.push(appended);
    if (inFlight.length >= APPENDS_IN_FLIGHT_MAX) await inFlight.shift();
    if (appendError) throw appendError;
  };
  const appendGathered = async (): Promise<void> => {
    if (gathered.length === 0) return;
    const parts = gathered;
    gathered = [];
    gatheredBytes = 0;
    // a lone batch goes as is (socket chunks are never reused by Node, and 'keep' does not write);
    // the decoder checked each CRC, the log's validator walks the records (awaited here, so the
    // appends keep the stream's order)
    const validated = concatValidated(parts);
    const source = `the stream's batches from offset ${new BatchCursor(validated.buffer).baseOffset()}`;
    let records: ValidatedRecords;
    try {
      records = await log!.validate(validated, source);
    } catch (err) {
      // the whole valid batches before the refused one are kept, as before a damaged frame
      if (err instanceof RecordValidationError && err.batchIndex > 0) await issue(await log!.validate(concatValidated(parts.slice(0, err.batchIndex))), err.batchIndex);
      throw err;
    }
    await issue(records, parts.length);
  };
  const appendsDone = async (): Promise<void> => {
    await Promise.all(inFlight.splice(0));
    if (appendError) throw appendError;
  };

  let failure: Error | undefined;
  try {
    socket.resume();
    // destroyOnReturn false: leaving the loop at the end marker must not close the socket before
    // the reply goes out
    for await (const chunk of socket.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      let d = decoder.push(chunk);
      if (d.header) {
        header = d.header;
        if (header.topic !== opts.topic || header.partition !== opts.partition) {
          throw new StrataError('INVALID_ARGUMENT', `the stream carries ${header.topic}-${header.partition}, but this receiver writes ${opts.topic}-${opts.partition}`);
        }
        log = await opts.openLog(header);
        // a batch larger than the receiving log's message.max.bytes is refused before buffering it
        decoder.batchBytesMax = log.config.messageMaxBytes;
        appendBytesMax = Math.min(RECEIVE_APPEND_BYTES, log.config.segmentBytes);
        d = decoder.push(EMPTY);
      }
      for (const b of d.batches) {
        // one append never straddles more than a segment's worth: the log rolls between appends,
        // so the copy's segments respect its own segment.bytes
        if (gatheredBytes > 0 && (gatheredBytes + b.buffer.length > appendBytesMax || b.buffer.length >= BIG_BATCH_BYTES)) await appendGathered();
        gathered.push(b);
        gatheredBytes += b.buffer.length;
        // a big batch is its own buffer already: appending it alone spares copying it again
        if (b.buffer.length >= BIG_BATCH_BYTES) await appendGathered();
      }
      if (gatheredBytes >= appendBytesMax || d.end || d.error) await appendGathered();
      if (d.error) throw d.error;
      if (d.end) break;
    }
    decoder.finish();
    if (!log) throw new CorruptRecordError('shipping stream ended before its header', 0);
    await appendsDone();
    await log.flush();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    failure =
      !(err instanceof StrataError) && code
        ? new CorruptRecordError(`shipping stream truncated: the connection failed after ${decoder.streamBytes} bytes (${code})`, decoder.streamBytes)
        : (err as Error);
  }
  // keep every whole, valid batch that arrived before the damage
  if (failure && log) {
    try {
      if (!appendError) await appendGathered();
      await Promise.all(inFlight.splice(0)); // settles: append errors land in appendError
      if (appendError && appendError !== failure) throw appendError;
      await log.flush();
    } catch (err) {
      failure = new StrataError('STORAGE_ERROR', `${failure.message}; and keeping the batches before it failed: ${(err as Error).message}`, { cause: failure });
    }
  }
  const logEndOffset = log?.logEndOffset ?? -1;
  const kept = batches > 0 ? `; the log keeps the ${batches} whole valid batches before it (offsets ${firstOffset}..${lastOffset}), log end offset ${logEndOffset}` : '; nothing was appended';
  const message = failure ? `${failure.message}${kept}` : `appended ${batches} batches (${bytes} bytes), log end offset ${logEndOffset}`;
  await reply(socket, !failure, logEndOffset, message);
  if (failure) {
    const err = failure instanceof StrataError ? new StrataError(failure.code, message, { cause: failure }) : new Error(message, { cause: failure });
    throw err;
  }
  return { header: header!, bytes, batches, firstOffset, lastOffset, logEndOffset };
}

/** Sends the verdict and ends the connection; after a rejection, drains what the sender still sends. */
async function reply(socket: net.Socket, ok: boolean, logEndOffset: number, message: string): Promise<void> {
  if (socket.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REJECT_DRAIN_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // closing with unread bytes would reset the connection and could discard the reply in
    // flight: read and drop until the sender, having read the reply, closes
    socket.on('data', () => {});
    socket.resume();
    socket.end(encodeReply({ ok, logEndOffset, message }));
  });
}
