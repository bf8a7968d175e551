import { once } from 'node:events';
import { connect as connectTls } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewFrom } from '../../testkit/captures.ts';
import { postHttp1 } from '../../testkit/clients.ts';
import { hangup, requestHead, type Hangup } from '../reliability/support/raw-clients.ts';
import { describeTally, openHarness, type FuzzHarness } from './support/harness.ts';
import { FUZZ_SEED, runsFor } from './support/settings.ts';

/**
 * Raw bytes on the TLS socket — truncated and damaged requests, invalid HTTP/1.1,
 * an HTTP/2 preface followed by garbage, random bytes — over both ALPN protocols, then the
 * client ends, vanishes or waits. The server answers (never a 5xx) or hangs up, always within
 * its timeouts; it never crashes, and a good request right after every case is answered.
 */
const REQUEST_TIMEOUT_MS = 300;
const KEEP_ALIVE_MS = 600;
/** Every connection is over by then: the longer of the two timeouts, Node's check, slack. */
const OVER_BY_MS = KEEP_ALIVE_MS + REQUEST_TIMEOUT_MS + 2_500;
/** A TLS connection costs more than an inject, and a waiting case up to a second: fewer runs, capped. */
const RUNS = Math.min(runsFor(5), 2_000);

let harness: FuzzHarness;
let port: number;
let origin: string;
const review = JSON.stringify(reviewFrom('02'));
const validRequest = requestHead(review) + review;
const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/** An empty SETTINGS frame: what an HTTP/2 client sends right after the preface. */
const H2_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

beforeAll(async () => {
  harness = await openHarness({ requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: KEEP_ALIVE_MS });
  origin = await harness.testApp.listen();
  port = Number(new URL(origin).port);
});

afterAll(async () => {
  await harness.close();
  console.log(`tls bytes fuzz (seed ${FUZZ_SEED}, ${RUNS} connections): ${describeTally(harness.tally)}`);
});

const payloadArbitrary: fc.Arbitrary<{ kind: string; bytes: Buffer }> = fc.oneof(
  fc.nat().map((at) => ({ kind: 'truncated request', bytes: Buffer.from(validRequest).subarray(0, at % (validRequest.length + 1)) })),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, flips]) => {
    const bytes = Buffer.from(validRequest);
    flips.forEach((flip, index) => bytes.writeUInt8(flip, (at + index * 7) % bytes.length));
    return { kind: 'damaged request', bytes };
  }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((header) => ({
    kind: 'invalid headers',
    bytes: Buffer.from(`POST /validate HTTP/1.1\r\nhost: localhost\r\n${header}\r\n\r\n`, 'latin1'),
  })),
  fc
    .uint8Array({ maxLength: 300 })
    .map((garbage) => ({ kind: 'h2 preface, then garbage', bytes: Buffer.concat([Buffer.from(H2_PREFACE), H2_SETTINGS, garbage]) })),
  fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((garbage) => ({ kind: 'random bytes', bytes: Buffer.from(garbage) })),
);

const caseArbitrary = fc.record({
  alpn: fc.constantFrom(['http/1.1'], ['h2'], undefined),
  payload: payloadArbitrary,
  ending: fc.constantFrom('end', 'vanish', 'wait'),
});

type Case = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function runCase(entry: Case): Promise<Hangup> {
  const socket = connectTls({
    port,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: harness.testApp.certificates.caCert,
    ALPNProtocols: entry.alpn,
  });
  await once(socket, 'secureConnect');
  const startedAt = Date.now();
  const over = hangup(socket, startedAt, OVER_BY_MS + 1_000);
  socket.write(entry.payload.bytes);
  if (entry.ending === 'end') socket.end();
  if (entry.ending === 'vanish') socket.destroy();
  return over;
}

/** An HTTP/1.1 status line the server wrote, if it wrote one. */
function statusOf(result: Hangup): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(result.firstLine);
  return match === null ? undefined : Number(match[1]);
}

describe('raw bytes on the TLS socket', () => {
  it(
    'are answered (never with a 5xx) or hung up on within the timeouts, and the server keeps serving',
    async () => {
      const agentless = { ca: harness.testApp.certificates.caCert };
      await fc.assert(
        fc.asyncProperty(caseArbitrary, async (entry) => {
          const result = await runCase(entry);
          expect(result.afterMs).toBeLessThan(OVER_BY_MS);
          const status = statusOf(result);
          if (status !== undefined) expect(status).toBeLessThan(500);
          harness.count(`${entry.payload.kind}: ${status ?? 'no HTTP/1.1 answer'}`);
          expect((await postHttp1(`${origin}/validate`, review, agentless)).status).toBe(200);
        }),
        { seed: FUZZ_SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(harness.crashes).toEqual([]);
      expect(harness.errorLogs).toEqual([]);
    },
    Math.max(20_000, RUNS * 1_500),
  );

  it('leaves no connection open behind it', async () => {
    const server = harness.testApp.app.server;
    const deadline = Date.now() + OVER_BY_MS;
    let open = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      open = await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(open).toBe(0);
  });
});
