import { once } from 'node:events';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/app.ts';
import { reviewFrom } from '../testkit/captures.ts';
import { http2Client, postHttp1 } from '../testkit/clients.ts';

/** The exchange over real TLS on loopback, HTTP/1.1 and HTTP/2, with a certificate made by selfsigned. */
let testApp: TestApp;
let origin: string;

beforeAll(async () => {
  testApp = await createTestApp({ bodyLimitBytes: 256 * 1024, keepAliveTimeoutMs: 1500 });
  origin = await testApp.listen();
});
afterAll(async () => {
  await testApp.app.close();
});

const denied = (version: string) =>
  reviewFrom('02', (review) => {
    review.apiVersion = version;
    (review.request.object as { spec: { source: object } }).spec.source = {};
  });

describe.each(['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'])('%s over TLS', (version) => {
  it.each(['/validate', '/volumesnapshot', '/volumegroupsnapshot'])('HTTP/1.1 %s?timeout=3s', async (path) => {
    const response = await postHttp1(`${origin}${path}?timeout=3s`, JSON.stringify(denied(version)), { ca: testApp.certificates.caCert });
    expect(response.alpn).toBe('http/1.1');
    expect(response.status).toBe(200);
    const body = JSON.parse(response.text) as { apiVersion: string; response: { allowed: boolean; status: { code: number } } };
    expect(body.apiVersion).toBe(version);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.code).toBe(422);
  });

  it('HTTP/2: several reviews on one session, as the API server sends them', async () => {
    const client = http2Client(origin, testApp.certificates.caCert);
    try {
      const answers = await Promise.all(
        ['01', '02', '03', '04', '05', '06', '07'].map((capture) =>
          client.post(
            '/validate?timeout=3s',
            JSON.stringify(
              reviewFrom(capture, (r) => {
                r.apiVersion = version;
              }),
            ),
          ),
        ),
      );
      for (const answer of answers) {
        expect(answer.alpn).toBe('h2');
        expect(answer.status).toBe(200);
        expect((JSON.parse(answer.text) as { response: { allowed: boolean } }).response.allowed).toBe(true);
      }
      const denial = await client.post('/validate', JSON.stringify(denied(version)));
      expect((JSON.parse(denial.text) as { response: { allowed: boolean } }).response.allowed).toBe(false);
    } finally {
      client.close();
    }
  });
});

describe('malformed requests over the wire', () => {
  it('not JSON, over HTTP/1.1 and HTTP/2', async () => {
    const http1 = await postHttp1(`${origin}/validate`, 'not json', { ca: testApp.certificates.caCert });
    expect(http1.status).toBe(400);
    expect(JSON.parse(http1.text)).toMatchObject({ code: 'SVW_ERR_BODY_NOT_JSON' });
    const client = http2Client(origin, testApp.certificates.caCert);
    const http2 = await client.post('/validate', 'not json');
    client.close();
    expect(http2.status).toBe(400);
  });

  it('a body over the limit gets 413, and the server keeps serving', async () => {
    const huge = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
    const response = await postHttp1(`${origin}/validate`, huge, { ca: testApp.certificates.caCert });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({ code: 'SVW_ERR_BODY_TOO_LARGE' });
    const client = http2Client(origin, testApp.certificates.caCert);
    const http2 = await client.post('/validate', huge);
    expect(http2.status).toBe(413);
    const after = await client.post('/validate', JSON.stringify(reviewFrom('02')));
    client.close();
    expect(after.status).toBe(200);
  });

  const notAReview = (change: (review: ReturnType<typeof reviewFrom>) => void) => JSON.stringify(reviewFrom('02', change));
  const malformed: ReadonlyArray<readonly [string, string, string, number, string]> = [
    ['an empty body', '', 'application/json', 400, 'SVW_ERR_BODY_EMPTY'],
    [
      'no request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
    ],
    [
      'the wrong kind',
      notAReview((review) => {
        review.kind = 'Pod';
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
    ],
    [
      'a number as uid',
      notAReview((review) => {
        review.request.uid = 42;
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
    ],
    [
      'a number where a name goes',
      notAReview((review) => {
        (review.request.object as { spec: { source: object } }).spec.source = { persistentVolumeClaimName: 7 };
      }),
      'application/json',
      400,
      'SVW_ERR_BODY_NOT_REVIEW',
    ],
    ['a wrong content type', JSON.stringify(reviewFrom('02')), 'text/plain', 415, 'SVW_ERR_MEDIA_TYPE'],
  ];

  const cases = malformed.map(([name, body, contentType, status, code]) => ({ name, body, contentType, status, code }));
  it.each(cases)('$name, over HTTP/1.1 and HTTP/2: a 4xx JSON answer with its code', async ({ body, contentType, status, code }) => {
    const ca = testApp.certificates.caCert;
    const client = http2Client(origin, ca);
    try {
      const answers = [await postHttp1(`${origin}/validate`, body, { ca, contentType }), await client.post('/validate', body, contentType)];
      for (const answer of answers) {
        expect(answer.status).toBe(status);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(answer.text)).toMatchObject({ statusCode: status, code });
      }
      expect(answers.map((answer) => answer.alpn)).toEqual(['http/1.1', 'h2']);
    } finally {
      client.close();
    }
  });

  it('a wrong content type and a wrong method', async () => {
    const ca = testApp.certificates.caCert;
    expect((await postHttp1(`${origin}/validate`, '{}', { ca, contentType: 'text/plain' })).status).toBe(415);
    expect((await postHttp1(`${origin}/validate`, '', { ca, method: 'GET' })).status).toBe(405);
  });

  it('does not answer plain HTTP on the admission port', async () => {
    const port = new URL(origin).port;
    const response = await fetch(`http://127.0.0.1:${port}/validate`, { method: 'POST', body: '{}' }).then(
      (answer) => answer.status,
      () => 'refused',
    );
    expect(response).not.toBe(200);
  });
});

describe('connections', () => {
  it('keeps an idle HTTP/1.1 connection open until the keep-alive timeout, then closes it', async () => {
    const port = Number(new URL(origin).port);
    const socket = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: testApp.certificates.caCert,
      ALPNProtocols: ['http/1.1'],
    });
    await once(socket, 'secureConnect');
    const body = JSON.stringify(reviewFrom('02'));
    socket.write(
      `POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    const head = chunk.toString('utf8');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toMatch(/keep-alive: timeout=1\b/i);
    const idleSince = Date.now();
    await once(socket, 'close');
    const idle = Date.now() - idleSince;
    expect(idle).toBeGreaterThanOrEqual(1400);
    expect(idle).toBeLessThan(5000);
  });

  it('offers h2 and http/1.1 by ALPN and refuses TLS 1.1', async () => {
    const port = Number(new URL(origin).port);
    const h2 = connect({ port, host: '127.0.0.1', servername: 'localhost', ca: testApp.certificates.caCert, ALPNProtocols: ['h2'] });
    await once(h2, 'secureConnect');
    expect(h2.alpnProtocol).toBe('h2');
    h2.destroy();
    const old = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: testApp.certificates.caCert,
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
    });
    const [error] = (await once(old, 'error')) as [Error];
    expect(error.message).toMatch(/protocol|version|alert/i);
  });
});
