/**
 * Kafka frames at the socket level, for clients that misbehave on purpose (tests and the harness):
 * request frames built whole, sockets that send them without RawKafkaClient's reading, and a
 * response counted as it arrives instead of kept.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ApiKey } from './protocol/api-keys.js';
import { writeRequestHeader, type RequestHeader } from './protocol/headers.js';
import { KafkaWriter } from './protocol/writer.js';

/** A whole request frame: its size, the header, then the body `encodeBody` writes. */
export function requestFrame(header: RequestHeader, encodeBody: (w: KafkaWriter) => void): Buffer {
  const w = new KafkaWriter(256);
  w.int32(0);
  writeRequestHeader(w, header);
  encodeBody(w);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** A Fetch v11 frame for the whole of partition 0 of `topic` from offset 0, up to `maxBytes`. */
export function fetchFrame(correlationId: number, clientId: string, topic: string, maxBytes: number): Buffer {
  return requestFrame({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId, clientId }, (w) => {
    w.int32(-1).int32(0).int32(1).int32(maxBytes).int8(0).int32(0).int32(-1);
    w.arrayLength(1).string(topic).arrayLength(1).int32(0).int32(-1).int64(0).int64(-1).int32(maxBytes);
    w.arrayLength(0).string('');
  });
}

/**
 * A socket to 127.0.0.1:port, over TLS (any certificate accepted) when `secure`; `onReady` runs
 * once it can send. Its errors are dropped: the caller watches 'close'.
 */
export function connectRaw(port: number, secure: boolean, onReady: (socket: net.Socket) => void): net.Socket {
  const socket = secure ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.once(secure ? 'secureConnect' : 'connect', () => onReady(socket));
  return socket;
}

/**
 * Counts the next response frame on `socket` as it arrives, keeping none of it: `done` resolves
 * with its size (without the size prefix) once all of it is in, or rejects if the socket closes
 * first; `received()` is how much of it has come so far.
 */
export function countResponse(socket: net.Socket): { done: Promise<number>; received(): number } {
  let head = Buffer.alloc(0);
  let size = -1;
  let got = 0;
  const done = new Promise<number>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      if (size < 0) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 4) return;
        size = head.readInt32BE(0);
        got = head.length - 4;
      } else got += chunk.length;
      if (got >= size) resolve(size);
    });
    socket.on('close', () => reject(new Error(`the connection closed after ${got} of ${size} bytes`)));
  });
  return { done, received: () => got };
}
