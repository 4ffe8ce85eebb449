/**
 * A minimal Kafka protocol client over one socket: sends request frames built with KafkaWriter and
 * reads response frames in order. For tests and the harness to speak to `strata serve` (or any
 * Kafka broker) at the frame level, including deliberately malformed frames.
 */
import net from 'node:net';
import { KafkaReader } from './protocol/reader.js';
import type { KafkaWriter } from './protocol/writer.js';
import { requestFrame } from './raw-frames.js';

/** Bound on a response frame this client accepts. */
const RESPONSE_BYTES_MAX = 256 * 1024 * 1024;

export class RawKafkaClient {
  private buffered = Buffer.alloc(0);
  private readonly waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  private correlationId = 1;
  private closedError: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedError = new Error('connection closed by the broker');
        for (const w of this.waiting.splice(0)) w.reject(this.closedError);
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  /** `localAddress`: the address to connect from (e.g. 127.0.0.2, another loopback address). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress }, () => {
        s.off('error', reject);
        resolve(new RawKafkaClient(s));
      });
      s.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 0 || size > RESPONSE_BYTES_MAX) {
        this.socket.destroy(new Error(`response size ${size} out of range`));
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.waiting.shift()?.resolve(frame);
    }
  }

  /** Sends raw bytes as they are (a whole frame including its size, or garbage). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for the next response frame (without its size prefix). */
  nextResponse(): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /**
   * Sends a request whose body `encodeBody` writes and returns a reader positioned after the
   * response header's correlation id (header v0; pass flexibleResponse for header v1).
   */
  async request(apiKey: number, apiVersion: number, encodeBody: (w: KafkaWriter) => void, opts: { flexibleResponse?: boolean; clientId?: string } = {}): Promise<KafkaReader> {
    const correlationId = this.correlationId++;
    const frame = requestFrame({ apiKey, apiVersion, correlationId, clientId: opts.clientId ?? 'strata-raw-client' }, encodeBody);
    const response = this.nextResponse();
    this.socket.write(frame);
    const r = new KafkaReader(await response);
    const got = r.int32();
    if (got !== correlationId) throw new Error(`response correlation id ${got}, expected ${correlationId}`);
    if (opts.flexibleResponse) r.skipTaggedFields();
    return r;
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}
