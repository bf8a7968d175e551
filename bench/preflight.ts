/**
 * Before any load: each review of each scenario, sent once over HTTP/1.1 and once over HTTP/2
 * with a client that verifies the certificate, must get a 200 and the expected answer — so the
 * bench never measures 400s, a wrong route or a refused handshake.
 */
import { connect } from 'node:http2';
import { request } from 'node:https';
import type { Expected, Scenario } from './scenarios.ts';

export const REVIEW_PATH = '/validate?timeout=3s';

interface Reply {
  readonly status: number;
  readonly body: string;
}

export function postHttp1(port: number, ca: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, path: REVIEW_PATH, method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function postHttp2(port: number, ca: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, { ca });
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': REVIEW_PATH, 'content-type': 'application/json' });
    let status = 0;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, body: text });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

function check(reply: Reply, expect: Expected, what: string): void {
  if (reply.status !== 200) throw new Error(`preflight: ${what}: HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
  const answer = JSON.parse(reply.body) as { response?: { allowed?: boolean } };
  if (answer.response?.allowed !== (expect === 'allowed')) {
    throw new Error(`preflight: ${what}: expected ${expect}, got ${reply.body.slice(0, 300)}`);
  }
}

/** The baseline allows everything; the webhook must give each review its expected answer. */
export async function preflight(port: number, ca: string, scenarios: readonly Scenario[], isBaseline: boolean): Promise<number> {
  let checked = 0;
  for (const scenario of scenarios) {
    for (const review of scenario.reviews) {
      const expect: Expected = isBaseline ? 'allowed' : review.expect;
      check(await postHttp1(port, ca, review.body), expect, `${scenario.name} (${review.title}) over HTTP/1.1`);
      check(await postHttp2(port, ca, review.body), expect, `${scenario.name} (${review.title}) over HTTP/2`);
      checked += 2;
    }
  }
  return checked;
}
