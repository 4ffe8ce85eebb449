/**
 * Splits a TCP byte stream into Kafka request frames: an int32 size, then that many bytes. A size
 * outside [header, socket.request.max.bytes] is a FrameError: the connection cannot be
 * resynchronised and must be closed.
 *
 * Once the size is read the frame must be admitted (`admit`: its bytes reserved in the broker's
 * memory pool, queued.max.request.bytes) before its body is read; until then the decoder holds
 * what it already has and returns no further frames (`waitingForMemory`; the connection stops
 * reading the socket). An admitted frame that arrives in pieces is copied into one buffer of its
 * size as the pieces come, so it is held once, at its size, never as pieces plus a joined copy; a
 * frame that arrives inside one chunk is a view of that chunk, not copied.
 */
import { REQUEST_HEADER_FIXED_BYTES } from './protocol/headers.js';

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The bound a frame's size is checked against, and the config key that sets it (for the error). */
export interface FrameLimit {
  bytes: number;
  key: string;
}

export class FrameDecoder {
  /** Bytes read that belong to no admitted frame yet (a size prefix, the start of the next frame). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being collected, once its prefix is read; -1 before. */
  private frameBytes = -1;
  private admitted = false;
  /** The admitted frame being filled, when it did not arrive in one chunk. */
  private frame: Buffer | undefined;
  private filled = 0;

  /**
   * `admit` reserves a frame's bytes before its body is read (false: not now; try again by push());
   * `limit`, when given, is asked at each frame (it may change: SASL lowers it until authentication).
   */
  constructor(
    private readonly frameBytesMax: number,
    private readonly admit: (frameBytes: number) => boolean = () => true,
    private readonly limit: () => FrameLimit = () => ({ bytes: frameBytesMax, key: 'socket.request.max.bytes' }),
  ) {}

  /** Bytes held that do not yet form a whole frame. */
  get bufferedBytes(): number {
    return this.buffered + this.filled;
  }

  /** A frame's size is read, and its bytes do not fit in memory yet. */
  get waitingForMemory(): boolean {
    return this.frameBytes >= 0 && !this.admitted;
  }

  /** Bytes of the frame being collected that were admitted (reserved); 0 when none is. */
  get admittedPartialBytes(): number {
    return this.admitted ? this.frameBytes : 0;
  }

  /** Adds a chunk (or none: try admitting again); returns the whole frames completed (without their size prefix). */
  push(chunk?: Buffer): Buffer[] {
    if (chunk && chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        if (size < REQUEST_HEADER_FIXED_BYTES) {
          throw new FrameError(`request size ${size} is smaller than a request header (${REQUEST_HEADER_FIXED_BYTES} bytes)`);
        }
        const limit = this.limit();
        if (size > limit.bytes) {
          throw new FrameError(`request of ${size} bytes exceeds ${limit.key} (${limit.bytes})`);
        }
        this.take(4);
        this.frameBytes = size;
        this.admitted = false;
      }
      if (!this.admitted) {
        if (!this.admit(this.frameBytes)) break;
        this.admitted = true;
      }
      const whole = this.collect();
      if (!whole) break;
      frames.push(whole);
      this.frameBytes = -1;
      this.admitted = false;
    }
    return frames;
  }

  /** Moves buffered bytes into the admitted frame; the frame once complete. */
  private collect(): Buffer | undefined {
    if (!this.frame && this.chunks.length > 0 && this.chunks[0]!.length >= this.frameBytes) return this.take(this.frameBytes);
    if (this.buffered === 0) return undefined;
    this.frame ??= Buffer.allocUnsafe(this.frameBytes);
    while (this.filled < this.frameBytes && this.chunks.length > 0) {
      const piece = this.take(Math.min(this.chunks[0]!.length, this.frameBytes - this.filled));
      piece.copy(this.frame, this.filled);
      this.filled += piece.length;
    }
    if (this.filled < this.frameBytes) return undefined;
    const done = this.frame;
    this.frame = undefined;
    this.filled = 0;
    return done;
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.joinFirst(4).readInt32BE(0);
  }

  /** Makes the first chunk at least `bytes` long (bytes <= buffered). */
  private joinFirst(bytes: number): Buffer {
    let n = 0;
    let i = 0;
    while (n < bytes) n += this.chunks[i++]!.length;
    const joined = Buffer.concat(this.chunks.slice(0, i), n);
    this.chunks.splice(0, i, joined);
    return joined;
  }

  private take(bytes: number): Buffer {
    const first = this.chunks[0]!.length >= bytes ? this.chunks[0]! : this.joinFirst(bytes);
    const out = first.subarray(0, bytes);
    if (first.length === bytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(bytes);
    this.buffered -= bytes;
    return out;
  }
}
