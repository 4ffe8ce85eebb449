/**
 * Splits a byte stream of batches laid back to back (a Transfer's bytes arriving on a socket) into
 * batches as chunks arrive: it reads each batch's log overhead (base offset, batch length) and
 * counts the rest through without copying it. The streaming counterpart of BatchCursor, for bytes
 * that arrive in pieces.
 *
 * Self-contained by design: the harness's consumers run its source in worker threads
 * (`String(BatchStreamSplitter)`, harness/consumer.ts), so it refers to nothing outside itself but
 * Buffer, and spells its layout numbers out; test/format/batch-stream.test.ts holds them to
 * record-batch.ts and its walk to BatchCursor's.
 */
export interface BatchStreamListener {
  /** A batch's log overhead arrived: its base offset. */
  batchStart(baseOffset: number): void;
  /** The last byte of the batch arrived. */
  batchEnd(): void;
  /** A length no batch can have: the stream is not batches from here on. */
  error(message: string): void;
}

export class BatchStreamSplitter {
  /** LOG_OVERHEAD_BYTES: base offset (int64) and batch length (int32). */
  private readonly overhead = Buffer.alloc(12);
  private overheadFill = 0;
  /** Bytes of the current batch still to come. */
  private remaining = 0;
  /** Stream bytes taken so far (names where a bad length was found). */
  private streamPosition = 0;

  constructor(private readonly listener: BatchStreamListener) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.listener.batchEnd();
        continue;
      }
      const take = Math.min(this.overhead.length - this.overheadFill, chunk.length - at);
      chunk.copy(this.overhead, this.overheadFill, at, at + take);
      this.overheadFill += take;
      at += take;
      if (this.overheadFill < this.overhead.length) continue;
      this.overheadFill = 0;
      // BATCH_LENGTH_OFFSET 8; a batch length counts at least the 49 header bytes after the field
      const batchLength = this.overhead.readInt32BE(8);
      const start = this.streamPosition + at - this.overhead.length;
      if (batchLength < 49) this.listener.error('bad batch length ' + batchLength + ' at stream byte ' + start);
      else {
        this.remaining = batchLength;
        this.listener.batchStart(Number(this.overhead.readBigInt64BE(0)));
      }
    }
    this.streamPosition += chunk.length;
  }
}
