/**
 * A hostile HTTP/2 client that writes raw frames over TLS: what Node's own client will not do
 * (ignore the advertised stream limit, reset streams as fast as it can, flood PING, SETTINGS and
 * WINDOW_UPDATE), and what the server sent back: GOAWAY codes, RST_STREAM codes, when it hung up.
 */
import { connect, type TLSSocket } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = { headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8 } as const;
const END_HEADERS = 0x4;
const CANCEL = 0x8;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

function literal(nameIndex: number, value: string): Buffer {
  // HPACK literal header field without indexing, indexed name (nameIndex < 15), raw string value.
  return Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value, 'latin1')]);
}

/** POST /validate, content-type application/json, and no END_STREAM: a request whose body never comes. */
const REQUEST_HEADERS = Buffer.concat([
  Buffer.from([0x83, 0x87]), // :method POST, :scheme https (static table)
  literal(4, '/validate'),
  literal(1, 'localhost'),
  Buffer.from([0x0f, 0x10, 16]), // content-type (static index 31), then its value
  Buffer.from('application/json', 'latin1'),
]);

const END_STREAM = 0x1;

/** The request's headers; with endStream, a request with no body (which gets a 400). */
export const headersFrame = (streamId: number, endStream = false): Buffer =>
  frame(FRAME.headers, END_HEADERS | (endStream ? END_STREAM : 0), streamId, REQUEST_HEADERS);
export const resetFrame = (streamId: number): Buffer => frame(FRAME.rstStream, 0, streamId, Buffer.from([0, 0, 0, CANCEL]));

export interface RawSession {
  readonly socket: TLSSocket;
  /** Frames received, by type; GOAWAY and RST_STREAM error codes, by code. */
  readonly received: Map<number, number>;
  readonly goawayCodes: number[];
  readonly resetCodes: Map<number, number>;
  /** Resolves with milliseconds from connect to close. */
  readonly closed: Promise<number>;
  isClosed(): boolean;
  /** Writes, waiting for the socket to drain; false once the server has hung up. */
  send(bytes: Buffer): Promise<boolean>;
}

export interface RawTarget {
  readonly port: number;
  readonly ca: string;
}

export async function rawSession(target: RawTarget, sendPreface = true): Promise<RawSession> {
  const started = performance.now();
  const socket = connect({ port: target.port, host: '127.0.0.1', servername: 'localhost', ca: target.ca, ALPNProtocols: ['h2'] });
  const received = new Map<number, number>();
  const goawayCodes: number[] = [];
  const resetCodes = new Map<number, number>();
  let buffer: Buffer = Buffer.alloc(0);
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 9) {
      const length = buffer.readUIntBE(0, 3);
      if (buffer.length < 9 + length) break;
      const type = buffer.readUInt8(3);
      received.set(type, (received.get(type) ?? 0) + 1);
      if (type === FRAME.goaway) goawayCodes.push(buffer.readUInt32BE(9 + 4));
      if (type === FRAME.rstStream) resetCodes.set(buffer.readUInt32BE(9), (resetCodes.get(buffer.readUInt32BE(9)) ?? 0) + 1);
      buffer = buffer.subarray(9 + length);
    }
  });
  // Events, not events.once(): that rejects on 'error', and a reset is an answer here.
  const event = (name: string): Promise<void> => new Promise((resolve) => socket.once(name, () => resolve()));
  const closedAt = event('close').then(() => {
    closed = true;
    return performance.now() - started;
  });
  await Promise.race([event('secureConnect'), closedAt]);
  const session: RawSession = {
    socket,
    received,
    goawayCodes,
    resetCodes,
    closed: closedAt,
    isClosed: () => closed || socket.destroyed,
    async send(bytes) {
      if (session.isClosed()) return false;
      if (!socket.write(bytes)) await Promise.race([event('drain'), closedAt]);
      // Let the legitimate client and the probes of this process run between writes.
      await new Promise((resolve) => setImmediate(resolve));
      return !session.isClosed();
    },
  };
  if (sendPreface) await session.send(Buffer.concat([PREFACE, frame(FRAME.settings, 0, 0)]));
  return session;
}
