/**
 * Bounds on what one client can make the server hold over HTTP/2. Node's defaults let a client
 * open 2^32-1 streams per session and any number of sessions: streams that send headers and no
 * body then hold memory until the process dies. Here: a stream limit advertised in SETTINGS, a
 * session memory cap, a deadline for a session's first request (a client that trickles its
 * preface is cut; the connection cap is connection-cap.ts), and a session that resets streams
 * faster than any API server would (HEADERS + RST_STREAM, "rapid reset"), or sends far more bytes
 * than its streams can carry (a flood of control frames that nghttp2 takes without answering:
 * WINDOW_UPDATE), gets GOAWAY ENHANCE_YOUR_CALM.
 */
import {
  constants,
  type Http2SecureServer,
  type Http2Session,
  type SecureServerOptions,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';

export interface Http2Limits {
  /** Streams one session may have open at once (advertised in SETTINGS). */
  readonly maxConcurrentStreams: number;
  /** A session must open its first stream within this; the request deadline of the server. */
  readonly firstRequestMs: number;
  /** The largest body a stream may carry: with the streams open, what bounds a session's bytes. */
  readonly maxBodyBytes: number;
}

/** Resets a session may send in one window before it is cut: far above what a client that cancels now and then does. */
export const RESET_BURST = 200;
const RESET_WINDOW_MS = 1_000;
/** nghttp2's budget for one session's buffers, in MB (Node's default is 10). */
const MAX_SESSION_MEMORY_MB = 4;
/** Malformed frames tolerated per session (Node's default is 1000). */
const MAX_INVALID_FRAMES = 100;

/**
 * Bytes a session may send in one window beyond its streams' bodies: headers, SETTINGS, PINGs
 * and WINDOW_UPDATEs of a client that talks as clients do come to a few KiB a second.
 */
const CONTROL_BYTES_PER_WINDOW = 1024 * 1024;
/** Per stream open during the window: its body and headers. */
const HEADER_BYTES_PER_STREAM = 64 * 1024;

/** Why the guard cut a session: the `reason` of connections_closed_total. */
export const SESSION_CLOSE_REASONS = ['no-request', 'rapid-reset', 'frame-flood'] as const;
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];
/** Told of every session cut, with the client's address when the socket still has it. */
export type OnSessionClose = (reason: SessionCloseReason, remoteAddress: string | undefined) => void;

export function http2ServerOptions(limits: Http2Limits): Partial<SecureServerOptions> {
  return {
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams },
    maxSessionMemory: MAX_SESSION_MEMORY_MB,
    maxSessionInvalidFrames: MAX_INVALID_FRAMES,
    maxSessionRejectedStreams: limits.maxConcurrentStreams,
  };
}

export function guardSessions(server: Http2SecureServer, limits: Http2Limits, onClose: OnSessionClose): void {
  // A session's socket is a proxy that cannot be destroyed, and a destroyed session only ends its
  // socket (which a client that reads nothing never closes): keep the real one to destroy.
  const sockets = new WeakMap<ServerHttp2Session, Socket>();
  let opened: ServerHttp2Session | undefined;
  const cutSession = (session: ServerHttp2Session, reason: SessionCloseReason) => cut(session, sockets.get(session), reason, onClose);
  server.on('session', (session: ServerHttp2Session) => {
    opened = session;
    const firstRequest = setTimeout(() => cutSession(session, 'no-request'), limits.firstRequestMs);
    firstRequest.unref();
    session.once('stream', () => clearTimeout(firstRequest));
    session.once('close', () => clearTimeout(firstRequest));
    watchStreams(session, () => sockets.get(session), limits, cutSession);
  });
  // Node's own listener, registered first, creates the session and emits 'session' synchronously.
  server.on('secureConnection', (socket: Socket) => {
    if (opened !== undefined) sockets.set(opened, socket);
    opened = undefined;
  });
}

/**
 * Cuts a session that resets streams faster than any API server would (a stream that closes
 * aborted: HEADERS then RST_STREAM), or that reads more in a window than its streams could carry:
 * nghttp2 handles control frames itself (a WINDOW_UPDATE of +1 costs a frame's parsing and
 * nothing else), so counting the socket's bytes is what sees a flood of them. One listener a
 * stream, shared by the session's streams: this runs for every review.
 */
function watchStreams(
  session: ServerHttp2Session,
  socket: () => Socket | undefined,
  limits: Http2Limits,
  cutSession: (session: ServerHttp2Session, reason: SessionCloseReason) => void,
): void {
  let windowStart = performance.now();
  let resets = 0;
  let open = 0;
  let streamsInWindow = 0;
  let bytesAtWindowStart = 0;
  function onStreamClose(this: ServerHttp2Stream): void {
    open -= 1;
    if (!this.aborted) return;
    const now = performance.now();
    if (now - windowStart > RESET_WINDOW_MS) {
      windowStart = now;
      resets = 0;
    }
    resets += 1;
    if (resets === RESET_BURST + 1) cutSession(session, 'rapid-reset');
  }
  session.on('stream', (stream: ServerHttp2Stream) => {
    open += 1;
    streamsInWindow += 1;
    stream.on('close', onStreamClose);
  });
  const check = setInterval(() => {
    const bytesRead = socket()?.bytesRead ?? 0;
    const budget = CONTROL_BYTES_PER_WINDOW + streamsInWindow * (limits.maxBodyBytes + HEADER_BYTES_PER_STREAM);
    if (bytesRead - bytesAtWindowStart > budget) cutSession(session, 'frame-flood');
    bytesAtWindowStart = bytesRead;
    streamsInWindow = open;
  }, RESET_WINDOW_MS);
  check.unref();
  session.once('close', () => clearInterval(check));
}

/**
 * GOAWAY and destroy at once: close() would wait for the open streams, which is what the client
 * holds over us. The session's socket goes too (a destroyed session does not always end its socket).
 */
function cut(session: ServerHttp2Session, socket: Socket | undefined, reason: SessionCloseReason, onClose: OnSessionClose): void {
  if (session.destroyed || cutting.has(session)) return;
  cutting.add(session);
  onClose(reason, socket?.remoteAddress);
  const code = reason === 'no-request' ? constants.NGHTTP2_NO_ERROR : constants.NGHTTP2_ENHANCE_YOUR_CALM;
  // The GOAWAY carries the code (destroy()'s own GOAWAY says NO_ERROR); session and socket go once it is out.
  session.goaway(code);
  setTimeout(() => {
    session.destroy();
    socket?.destroy();
  }, SOCKET_GRACE_MS).unref();
}

const cutting = new WeakSet<Http2Session>();

/** Whether the guard is cutting this session: what its streams still ask gets no answer and counts as no bad request. */
export function isCut(session: Http2Session): boolean {
  return cutting.has(session);
}

/** Time for the final GOAWAY to leave before the socket is closed under it. */
const SOCKET_GRACE_MS = 100;
