/**
 * One client connection. Requests are framed (frame-decoder.ts), queued up to queued.max.requests
 * and QUEUED_REQUEST_BYTES_MAX bytes (then reading pauses: backpressure on the client) and handled
 * one at a time in arrival order, as Kafka does by muting a channel while its request is in
 * progress; so responses go out in request order without reordering, and a response is written
 * (and drained) before the next request starts, so at most one is pending. A framing or parsing
 * error closes THIS connection with a log line naming the peer and the problem; nothing else is
 * affected. A peer that goes away mid-response is one info line, not an internal error.
 *
 * Memory shared with other connections: each request's bytes are reserved in the broker's
 * MemoryPool (queued.max.request.bytes) as soon as its size is read, and given back once it has
 * been handled or the connection closes; while a request does not fit, the socket is not read.
 */
import type { Socket } from 'node:net';
import type { BrokerContext } from './context.js';
import { dispatch } from './dispatcher.js';
import { FrameDecoder, FrameError } from './frame-decoder.js';
import type { ResponsePart } from './protocol/fetch.js';
import { ProtocolError } from './protocol/protocol-error.js';
import { SendWatchdog } from './send-watchdog.js';

/**
 * Bytes a connection may hold while a request is in progress: queued frames plus a partial one.
 * Without it, one client pipelining large requests could hold gigabytes of read-ahead. With no
 * request in progress, a partial frame is read to its end (socket.request.max.bytes bounds it).
 */
export const QUEUED_REQUEST_BYTES_MAX = 4 * 1024 * 1024;

/** Error codes that mean the peer went away (the socket's or the transfer's). */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'PEER_CLOSED', 'NOT_WRITABLE', 'ABORTED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private processing = false;
  /** A response is being written (its bytes handed to the socket, or waiting for it to drain). */
  private sending = false;
  private closed = false;
  /** Reading paused for this connection's own backlog (queued requests / bytes). */
  private paused = false;
  private socketPaused = false;
  /** Bytes reserved in ctx.requestMemory for queued frames and the admitted partial one. */
  private reservedBytes = 0;
  /** Bytes reserved for the request being handled. */
  private inFlightBytes = 0;
  private stopWaitingForMemory: (() => void) | undefined;
  private readonly sendWatchdog: SendWatchdog;
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
    // before SASL authentication frames are bounded by sasl.server.max.receive.size (auth/session.ts)
    this.decoder = new FrameDecoder(
      ctx.config.socketRequestMaxBytes,
      (bytes) => this.reserve(bytes),
      () => ctx.session.frameLimit(ctx.config.socketRequestMaxBytes),
    );
    socket.setNoDelay(true);
    this.sendWatchdog = new SendWatchdog(ctx.config.connectionsMaxIdleMs, () => {
      // the peer reads nothing: as in Kafka, a channel with no progress is idle, whatever it holds
      this.ctx.logger.info(`closing connection from ${this.peer}: its response made no progress for connections.max.idle.ms (${ctx.config.connectionsMaxIdleMs} ms)`);
      this.destroy();
    });
    socket.setTimeout(ctx.config.connectionsMaxIdleMs, () => {
      // a response being written is the watchdog's; a request being handled (a fetch waiting for
      // data) is not idleness
      if (this.sending || this.processing) return;
      this.ctx.logger.info(`closing connection from ${this.peer}: idle for connections.max.idle.ms (${ctx.config.connectionsMaxIdleMs} ms)`);
      this.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      if (!this.closed) this.ctx.logger.info(`connection from ${this.peer}: ${err.message}`);
    });
    socket.on('close', () => this.onClose());
  }

  /** A chunk read, or (none) memory freed elsewhere: a frame waiting for it may now be admitted. */
  private onData(chunk?: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const frame of frames) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
    }
    if (this.decoder.waitingForMemory) this.stopWaitingForMemory ??= this.ctx.requestMemory.onRelease(() => this.onData());
    if (this.queue.length > 0 && !this.processing) void this.run();
    this.updateFlow();
  }

  /** Reserves a frame's bytes in the shared pool before its body is read. */
  private reserve(bytes: number): boolean {
    if (this.closed || !this.ctx.requestMemory.tryReserve(bytes)) return false;
    this.reservedBytes += bytes;
    this.stopWaitingForMemory?.();
    this.stopWaitingForMemory = undefined;
    return true;
  }

  /** Gives back what queued and partial frames hold (not the request in progress: run() does). */
  private releaseReserved(): void {
    this.stopWaitingForMemory?.();
    this.stopWaitingForMemory = undefined;
    const bytes = this.reservedBytes;
    this.reservedBytes = 0;
    this.ctx.requestMemory.release(bytes);
  }

  /**
   * Pauses reading while this connection holds too much, resumes once it has worked most of it
   * off; and while its next request's bytes do not fit in the shared pool.
   */
  private updateFlow(): void {
    if (this.closed) return;
    this.updateBacklogFlow();
    const pause = this.paused || this.decoder.waitingForMemory;
    if (pause === this.socketPaused) return;
    this.socketPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private updateBacklogFlow(): void {
    const heldBytes = this.queuedBytes + this.decoder.bufferedBytes;
    const requestsMax = this.ctx.config.queuedMaxRequests;
    if (!this.paused) {
      if (this.queue.length >= requestsMax || (this.processing && heldBytes >= QUEUED_REQUEST_BYTES_MAX)) this.paused = true;
    } else if (!this.processing || (this.queue.length < requestsMax / 2 && heldBytes < QUEUED_REQUEST_BYTES_MAX / 2)) {
      this.paused = false;
    }
  }

  private async run(): Promise<void> {
    this.processing = true;
    this.idle = new Promise<void>((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.length;
        this.reservedBytes -= frame.length;
        this.inFlightBytes = frame.length;
        this.updateFlow();
        this.requests++;
        const result = await dispatch(this.ctx, frame);
        this.releaseInFlight(); // the request is handled: its bytes are not needed for the response
        if (result.parts && !this.closed) {
          this.sending = true;
          this.sendWatchdog.start();
          await this.write(result.parts).finally(() => {
            this.sending = false;
            this.sendWatchdog.stop();
          });
        }
        if (this.ctx.session.closeAfterResponse) return this.endAfterResponse(); // a failed SASL authentication
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.releaseInFlight();
      this.processing = false;
      this.markIdle();
      this.updateFlow();
    }
  }

  private releaseInFlight(): void {
    const bytes = this.inFlightBytes;
    this.inFlightBytes = 0;
    this.ctx.requestMemory.release(bytes);
  }

  private async write(parts: readonly ResponsePart[]): Promise<void> {
    for (const part of parts) {
      if (this.closed) return;
      if (Buffer.isBuffer(part)) {
        this.socket.write(part, (err) => err || this.sendWatchdog.progress());
        continue;
      }
      const sent = await this.ctx.transfer.send(this.socket, part.slices, this.abort.signal, this.sendWatchdog.progress);
      if (sent !== part.sizeBytes) {
        // the frame size promised sizeBytes; a short send leaves the stream unparseable
        throw new Error(`transfer sent ${sent} of ${part.sizeBytes} record bytes; the response cannot be completed`);
      }
    }
    if (this.socket.writableNeedDrain && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.sendWatchdog.progress();
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
    const code = (err as { code?: unknown }).code;
    if (this.socket.destroyed || (typeof code === 'string' && PEER_GONE.has(code))) {
      this.ctx.logger.info(`connection from ${this.peer} went away during a response: ${(err as Error).message}`);
    } else if (err instanceof FrameError || err instanceof ProtocolError) {
      this.ctx.logger.warn(`closing connection from ${this.peer}: ${err.message}`);
    } else {
      this.ctx.logger.error(`closing connection from ${this.peer} after an internal error: ${(err as Error).stack ?? String(err)}`);
    }
    this.destroy();
  }

  /** Closes once the response just written has gone out (Kafka closes after a failed authentication). */
  private endAfterResponse(): void {
    this.closed = true;
    this.abort.abort();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    if (this.closed) return;
    this.tearDown();
    this.socket.destroy();
  }

  /** Stops everything the connection holds or runs: its watchdog, its request, its queue and memory. */
  private tearDown(): void {
    this.closed = true;
    this.sendWatchdog.stop();
    this.abort.abort();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.releaseReserved();
  }

  /** Graceful close: stop reading, let the request in progress finish and its response go out. */
  async drain(timeoutMs: number): Promise<void> {
    this.socket.pause();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.releaseReserved();
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
    this.tearDown();
    this.onClosed(this);
  }

  describe(): string {
    return `${this.peer} (${this.requests} requests)`;
  }
}

