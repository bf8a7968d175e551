/**
 * The baseline: a bare Fastify server on the webhook's stack — same TLS options (serverTlsOptions),
 * same certificate, HTTP/2 with HTTP/1.1, same body limit and keep-alive — that parses each POST's
 * JSON body and answers a constant allowed AdmissionReview. What it does per request is the
 * least the webhook can do, so its throughput is the ceiling of this stack on this machine.
 *
 * Usage: node bench/baseline-server.ts --tls-cert-file FILE --tls-private-key-file FILE [--spin-us N]
 * Prints one JSON line {"msg":"baseline serving","admissionPort":N} once listening.
 *
 * --spin-us N keeps the CPU busy N µs per request before answering: a stand-in for a handler that
 * costs that much, to see what a given amount of work per review does to the ratio.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { loadServingCertificate } from '../src/tls/certificate.ts';
import { serverTlsOptions } from '../src/tls/server-tls.ts';

/** The webhook's defaults (--body-limit-bytes, --keep-alive-timeout-seconds). */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** The constant answer: an allowed review, the shape of the webhook's most common answer. */
const ANSWER = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '00000000-0000-0000-0000-000000000000', allowed: true },
} as const;

function spin(milliseconds: number): void {
  const end = performance.now() + milliseconds;
  while (performance.now() < end) {
    // busy: the point is to use the CPU
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      port: { type: 'string', default: '0' },
      'spin-us': { type: 'string', default: '0' },
    },
  });
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-private-key-file'];
  if (certFile === undefined || keyFile === undefined) throw new Error('--tls-cert-file and --tls-private-key-file are required');
  const certificate = loadServingCertificate(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
  const app = Fastify({
    http2: true,
    https: serverTlsOptions(certificate),
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    http2SessionTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  (app.server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const spinMs = Number(values['spin-us']) / 1000;
  app.post('/*', (_request, reply) => {
    if (spinMs > 0) spin(spinMs);
    return reply.send(ANSWER);
  });
  await app.listen({ port: Number(values.port), host: '127.0.0.1' });
  const address = app.server.address();
  const admissionPort = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'baseline serving', admissionPort })}\n`);
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
