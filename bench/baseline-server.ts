/**
 * The baseline: bare Fastify on the webhook's stack (the same TLS options and certificate, HTTP/2
 * with HTTP/1.1, the same body limit and keep-alive) that parses each POST's JSON and answers a
 * constant allowed review: the least the webhook can do, so the ceiling of this stack here.
 *
 *   node bench/baseline-server.ts --tls-cert-file F --tls-private-key-file F [--spin-us N]
 *
 * --spin-us N keeps the CPU busy N µs per request: what a given amount of work per review costs.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { loadServingCertificate } from '../src/tls/certificate.ts';
import { serverTlsOptions } from '../src/tls/server-tls.ts';

/** The webhook's defaults: --body-limit-bytes, --keep-alive-timeout-seconds. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
const ANSWER = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '00000000-0000-0000-0000-000000000000', allowed: true },
};

const { values } = parseArgs({
  options: {
    'tls-cert-file': { type: 'string', default: '' },
    'tls-private-key-file': { type: 'string', default: '' },
    'spin-us': { type: 'string', default: '0' },
  },
});
const certificate = loadServingCertificate(
  readFileSync(values['tls-cert-file'], 'utf8'),
  readFileSync(values['tls-private-key-file'], 'utf8'),
);
const app = Fastify({
  http2: true,
  https: serverTlsOptions(certificate),
  bodyLimit: BODY_LIMIT_BYTES,
  http2SessionTimeout: KEEP_ALIVE_TIMEOUT_MS,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
});
(app.server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
const spinMs = Number(values['spin-us']) / 1000;
app.post('/*', (_request, reply) => {
  for (const end = performance.now() + spinMs; performance.now() < end;) {
    // busy on purpose
  }
  return reply.send(ANSWER);
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ msg: 'baseline serving', admissionPort: typeof address === 'object' ? address?.port : 0 })}\n`);
process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
