/**
 * Splits a TCP byte stream into Kafka request frames: an int32 size, then that many bytes. Chunks
 * are kept as a list and joined only once a whole frame is present, so a large Produce request
 * arriving in many chunks is copied once. A size outside [header, socket.request.max.bytes] is a
 * FrameError: the connection cannot be resynchronised and must be closed.
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
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being collected, once its prefix is read; -1 before. */
  private frameBytes = -1;

  /** `limit`, when given, is asked at each frame (it may change: SASL lowers it until authentication). */
  constructor(
    private readonly frameBytesMax: number,
    private readonly limit: () => FrameLimit = () => ({ bytes: frameBytesMax, key: 'socket.request.max.bytes' }),
  ) {}

  /** Bytes held that do not yet form a whole frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk; returns the whole frames it completed (without their size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
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
      }
      if (this.buffered < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = -1;
    }
    return frames;
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
