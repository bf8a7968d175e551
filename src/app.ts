import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  constants,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2Stream,
  type Http2ServerResponse,
  type SecureServerOptions,
} from 'node:http2';
import { toErrorBody } from './admission/errors.ts';
import { reviewHandler, type HandlerOptions } from './admission/handler.ts';
import { MAX_REVIEW_DEPTH, shallowEnough } from './admission/review-depth.ts';
import { ERRORS, WebhookError } from './errors.ts';
import { capConnections, OVER_CAPACITY } from './lifecycle/connection-cap.ts';
import { guardSessions, http2ServerOptions, isCut } from './lifecycle/http2-guard.ts';
import { jsonBodyParser } from './lifecycle/json-body.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, enforceRequestDeadlines, requestTimeoutClientErrorHandler } from './lifecycle/request-deadlines.ts';
import { logLimiter } from './observability/log-limiter.ts';
import { loadSchemas } from './schemas.ts';

export type WebhookApp = FastifyInstance<Http2SecureServer, Http2ServerRequest, Http2ServerResponse, FastifyBaseLogger>;

/** What the review handler reads (the cluster as the rules see it, metrics, lookups), and the server's own limits. */
export interface AppOptions extends Omit<HandlerOptions, 'schemas' | 'defaultClaims'> {
  /** TLS options of the admission server (serverTlsOptions): HTTP/2 and HTTP/1.1 over TLS. */
  readonly tls: SecureServerOptions;
  readonly logger: FastifyBaseLogger;
  readonly bodyLimitBytes: number;
  /** Idle time before a client connection (HTTP/1.1 keep-alive or HTTP/2 session) is closed. */
  readonly keepAliveTimeoutMs: number;
  /** Longest a client may take to finish its TLS handshake, and to send one whole request. */
  readonly requestTimeoutMs?: number;
  /** Streams per HTTP/2 session and connections at once (defaults: 100 and 500). */
  readonly maxConcurrentStreams?: number;
  readonly maxConnections?: number;
  /** Values a review's JSON may hold (default 200,000). */
  readonly maxJsonValues?: number;
}

const DEFAULT_LIMITS = { maxConcurrentStreams: 100, maxConnections: 500, maxJsonValues: 200_000 };

/** The Go webhook's paths are served too, so its ValidatingWebhookConfiguration works unchanged. */
export const REVIEW_PATHS = ['/validate', '/volumesnapshot', '/volumegroupsnapshot'] as const;

export function buildApp(options: AppOptions): WebhookApp {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const limits = {
    maxConcurrentStreams: options.maxConcurrentStreams ?? DEFAULT_LIMITS.maxConcurrentStreams,
    maxConnections: options.maxConnections ?? DEFAULT_LIMITS.maxConnections,
    firstRequestMs: requestTimeoutMs,
    maxBodyBytes: options.bodyLimitBytes,
  };
  const app = Fastify({
    http2: true,
    https: { ...options.tls, handshakeTimeout: requestTimeoutMs, ...http2ServerOptions(limits) },
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    http2SessionTimeout: options.keepAliveTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // One log line a decision (written by the handler) is worth more than two a request.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger (with a reqId) per request: it cost about 2 % of a review's CPU (bench
    // profile), and the review's uid, logged with every decision, already identifies it.
    childLoggerFactory: (logger) => logger,
    exposeHeadRoutes: false,
    // Kubernetes allows any map key, "__proto__" included (a class parameter may be called that),
    // and refusing a legal object would, failing closed, block it. JSON.parse keeps such a key as
    // an own property; nothing here merges objects by assignment, so there is nothing to poison.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    return503OnClosing: false,
    clientErrorHandler: requestTimeoutClientErrorHandler(requestTimeoutMs),
  });
  // HTTP/1.1 connections on the HTTP/2 server follow the http.Server settings; Node leaves them unset.
  (app.server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = options.keepAliveTimeoutMs;
  enforceRequestDeadlines(app.server, requestTimeoutMs);
  const connectionClosed = connectionClosedReporter(options);
  guardSessions(app.server, limits, connectionClosed);
  capConnections(app.server, limits.maxConnections, (remoteAddress) => connectionClosed(OVER_CAPACITY, remoteAddress));
  // Only JSON is an AdmissionReview; text/plain would otherwise reach the handler as a string.
  app.removeAllContentTypeParsers();
  const budget = { maxValues: options.maxJsonValues ?? DEFAULT_LIMITS.maxJsonValues, maxDepth: MAX_REVIEW_DEPTH };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(budget));

  const handler = reviewHandler({ ...options, schemas: loadSchemas() });
  for (const url of REVIEW_PATHS) {
    // Most reviews are answered synchronously; a restore or clone waits for its lookups first.
    app.post(url, (request) => handler(shallowEnough(request.body), request.log));
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'],
      url,
      handler: (request) => {
        throw new WebhookError('METHOD', request.method, url);
      },
    });
  }
  app.setNotFoundHandler((request) => {
    throw new WebhookError('NOT_FOUND', request.method, request.url);
  });
  const mayLog = logLimiter(REJECTED_LOGS_PER_SECOND);
  app.setErrorHandler(async (error, request, reply) => {
    // The client reset the stream or went away: nobody reads an answer, and it is no bad request.
    if (!isTimeout(error) && (await abandoned(request.raw))) {
      options.metrics.abortedRequests.inc();
      request.log.debug({ method: request.method, url: request.url }, 'request aborted by the client');
      return reply.send();
    }
    const body = toErrorBody(error, { bodyLimit: options.bodyLimitBytes, contentType: request.headers['content-type'] });
    options.metrics.badRequests.inc({ code: body.code });
    const { log: write, suppressed } = mayLog();
    const log = body.statusCode >= 500 ? request.log.error.bind(request.log) : request.log.info.bind(request.log);
    if (write)
      log(
        { code: body.code, method: request.method, url: request.url, err: body.message, ...(suppressed > 0 ? { suppressed } : {}) },
        'request rejected',
      );
    if (body.code === 'SVW_ERR_METHOD') void reply.header('allow', 'POST');
    return reply.code(body.statusCode).send(body);
  });
  return app;
}

/**
 * Counts every connection the server closes on a client, and logs who: at warn for a client that
 * misbehaves (resets or frames in floods), at debug for one that merely said nothing (load
 * balancers' TCP checks and port scanners do that all day); rate-limited like rejected requests,
 * each level on its own budget, so that a flood of silent connections cannot crowd out the warn
 * lines that name an attacker.
 */
function connectionClosedReporter(options: AppOptions): (reason: string, remoteAddress: string | undefined) => void {
  const mayWarn = logLimiter(REJECTED_LOGS_PER_SECOND);
  const mayDebug = logLimiter(REJECTED_LOGS_PER_SECOND);
  return (reason, remoteAddress) => {
    options.metrics.connectionsClosed.inc({ reason });
    const misbehaved = reason === 'rapid-reset' || reason === 'frame-flood';
    const { log, suppressed } = misbehaved ? mayWarn() : mayDebug();
    if (!log) return;
    const fields = { reason, remoteAddress, ...(suppressed > 0 ? { suppressed } : {}) };
    if (misbehaved) options.logger.warn(fields, 'client connection cut');
    else options.logger.debug(fields, 'client connection closed');
  };
}

/**
 * Whether the client reset the stream (or dropped the connection) before the answer. A reset
 * stream first looks like a body that ended empty (a client may end the stream, then reset it);
 * Node closes it a moment later, so an HTTP/2 request that fails is looked at again once its
 * stream closes, or after 100 ms: time enough, on a loaded machine, for the reset to arrive or
 * for a rapid-reset session to be cut (20 ms was not, in CI). Only failed HTTP/2 requests wait.
 */
const RESET_NOTICE_MS = 100;

/** A request the deadline cut (its stream is then closed by this server, not reset by the client). */
function isTimeout(error: unknown): boolean {
  return error instanceof WebhookError && error.code === ERRORS.REQUEST_TIMEOUT.code;
}

async function abandoned(request: Http2ServerRequest): Promise<boolean> {
  if (request.aborted) return true;
  const stream = request.httpVersionMajor === 2 ? request.stream : undefined;
  if (stream === undefined) return false;
  if (!stream.destroyed && !stream.closed) await closedOrNoticeTime(stream);
  // Closed by the client with an error code (CANCEL, say); a stream this server closes says NO_ERROR,
  // except when its session was cut (a rapid-reset session): then no answer can reach anyone either.
  return request.aborted || sessionGone(stream) || (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR);
}

function sessionGone(stream: Http2Stream): boolean {
  const session = stream.session;
  return session === undefined || session.destroyed || isCut(session);
}

function closedOrNoticeTime(stream: Http2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, RESET_NOTICE_MS);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Lines a second about rejected requests; the rest are counted in bad_requests_total only. */
const REJECTED_LOGS_PER_SECOND = 10;
