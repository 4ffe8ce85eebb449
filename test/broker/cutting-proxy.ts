/**
 * A TCP proxy in front of the broker that forwards Kafka frames both ways and, while armed, drops
 * the connection instead of forwarding a Produce response: the broker has written the batch, the
 * client never hears so, and a client with retries sends the same batch again on a new connection.
 * The broker is started with advertisedPort = the proxy's port so every connection a client makes
 * (bootstrap, then the one Metadata names) goes through the proxy.
 */
import net from 'node:net';

const PRODUCE = 0;

export class CuttingProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Produce responses still to be cut. */
  cutsLeft = 0;
  /** Produce responses cut so far. */
  cuts = 0;
  targetPort = 0;

  private constructor() {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(): Promise<CuttingProxy> {
    const p = new CuttingProxy();
    await new Promise<void>((resolve) => p.server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    const broker = net.connect({ host: '127.0.0.1', port: this.targetPort });
    this.sockets.add(client).add(broker);
    const apiKeyOf = new Map<number, number>();
    const kill = () => {
      client.destroy();
      broker.destroy();
    };
    client.on('close', kill).on('error', kill);
    broker.on('close', kill).on('error', kill);
    frames(client, (frame) => {
      apiKeyOf.set(frame.readInt32BE(8), frame.readInt16BE(4)); // size, apiKey, apiVersion, correlationId
      broker.write(frame);
    });
    frames(broker, (frame) => {
      const apiKey = apiKeyOf.get(frame.readInt32BE(4));
      if (apiKey === PRODUCE && this.cutsLeft > 0) {
        this.cutsLeft--;
        this.cuts++;
        kill();
        return;
      }
      client.write(frame);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Calls `onFrame` with each whole size-prefixed frame (prefix included) read from `socket`. */
function frames(socket: net.Socket, onFrame: (frame: Buffer) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = 4 + buffered.readInt32BE(0);
      onFrame(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
  });
}
