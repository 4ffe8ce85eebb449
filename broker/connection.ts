/**
 * One client connection. Requests are framed (frame-decoder.ts), queued up to queued.max.requests
 * (then reading pauses: backpressure on the client) and handled one at a time in arrival order,
 * as Kafka does by muting a channel while its request is in progress; so responses go out in
 * request order without reordering. A framing or parsing error closes THIS connection with a log
 * line naming the peer and the problem; nothing else is affected.
 */
import type { Socket } from 'node:net';
import type { BrokerContext } from './context.js';
import { dispatch } from './dispatcher.js';
import { FrameDecoder, FrameError } from './frame-decoder.js';
import type { ResponsePart } from './protocol/fetch.js';
import { ProtocolError } from './protocol/protocol-error.js';

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private processing = false;
  private closed = false;
  private paused = false;
  private readonly abort = new AbortController();
  /** Resolves when the request in progress (if any) is done: graceful shutdown waits for it. */
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  readonly peer: string;
  requests = 0;

  constructor(
    readonly socket: Socket,
    private readonly ctx: BrokerContext,
    private readonly onClosed: (c: Connection) => void,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder(ctx.config.socketRequestMaxBytes);
    socket.setNoDelay(true);
    socket.setTimeout(ctx.config.connectionsMaxIdleMs, () => {
      if (this.processing) return; // a long fetch or a sendfile in progress is not idleness
      this.ctx.logger.info(`closing connection from ${this.peer}: idle for connections.max.idle.ms (${ctx.config.connectionsMaxIdleMs} ms)`);
      this.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      if (!this.closed) this.ctx.logger.info(`connection from ${this.peer}: ${err.message}`);
    });
    socket.on('close', () => this.onClose());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    if (this.queue.length >= this.ctx.config.queuedMaxRequests && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.processing) void this.run();
  }

  private async run(): Promise<void> {
    this.processing = true;
    this.idle = new Promise<void>((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        if (this.paused && this.queue.length < this.ctx.config.queuedMaxRequests / 2) {
          this.paused = false;
          this.socket.resume();
        }
        this.requests++;
        const result = await dispatch(this.ctx, frame);
        if (result.parts && !this.closed) await this.write(result.parts);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.processing = false;
      this.markIdle();
    }
  }

  private async write(parts: readonly ResponsePart[]): Promise<void> {
    for (const part of parts) {
      if (this.closed) return;
      if (Buffer.isBuffer(part)) {
        this.socket.write(part);
        continue;
      }
      const sent = await this.ctx.transfer.send(this.socket, part.slices, this.abort.signal);
      if (sent !== part.sizeBytes) {
        // the frame size promised sizeBytes; a short send leaves the stream unparseable
        throw new Error(`transfer sent ${sent} of ${part.sizeBytes} record bytes; the response cannot be completed`);
      }
    }
    if (this.socket.writableNeedDrain && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    if (err instanceof FrameError || err instanceof ProtocolError) {
      this.ctx.logger.warn(`closing connection from ${this.peer}: ${err.message}`);
    } else {
      this.ctx.logger.error(`closing connection from ${this.peer} after an internal error: ${(err as Error).stack ?? String(err)}`);
    }
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.queue.length = 0;
    this.socket.destroy();
  }

  /** Graceful close: stop reading, let the request in progress finish and its response go out. */
  async drain(timeoutMs: number): Promise<void> {
    this.socket.pause();
    this.queue.length = 0;
    await Promise.race([this.idle, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (!this.closed) {
      this.closed = true;
      this.abort.abort();
      this.socket.end();
      this.socket.destroySoon?.();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
  }

  private onClose(): void {
    this.closed = true;
    this.abort.abort();
    this.queue.length = 0;
    this.onClosed(this);
  }

  describe(): string {
    return `${this.peer} (${this.requests} requests)`;
  }
}

