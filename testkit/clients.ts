import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';

/** Real clients over TLS: HTTP/1.1 (what curl and probes use) and HTTP/2 (what kube-apiserver uses). */
export interface ClientResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly alpn: string | false;
}

export interface PostOptions {
  readonly ca: string;
  readonly contentType?: string;
  readonly agent?: Agent;
  readonly method?: string;
  /** The TLS server name to ask for, when it is not the URL's host (a Service name, say). */
  readonly servername?: string;
  /** Gives up (rejects) when the connection stays silent this long; by default it waits. */
  readonly timeoutSeconds?: number;
}

export function postHttp1(url: string, body: string, options: PostOptions): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method: options.method ?? 'POST',
        ca: options.ca,
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        // Like Go's HTTP/1.1 client, offer http/1.1 by ALPN (without it the server also falls back to HTTP/1.1).
        agent: options.agent ?? new Agent({ ALPNProtocols: ['http/1.1'] }),
        headers: { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        // The socket goes back to the agent at 'end': read what it negotiated now.
        const alpn = (response.socket as { alpnProtocol?: string | false }).alpnProtocol ?? false;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            alpn,
          }),
        );
        response.on('error', reject);
      },
    );
    const { timeoutSeconds } = options;
    if (timeoutSeconds !== undefined) {
      request.setTimeout(timeoutSeconds * 1000, () => request.destroy(new Error(`no answer within ${timeoutSeconds} s`)));
    }
    request.on('error', reject);
    request.end(body);
  });
}

/** One HTTP/2 session, several streams: as the API server holds one connection for all reviews. */
export interface Http2Client {
  post(path: string, body: string, contentType?: string): Promise<ClientResponse>;
  close(): void;
}

export function http2Client(origin: string, ca: string): Http2Client {
  const session = connectHttp2(origin, { ca });
  session.on('error', () => undefined);
  return {
    post: (path, body, contentType) => postOnSession(session, path, body, contentType),
    close: () => session.close(),
  };
}

/** POSTs one body as a stream of an open HTTP/2 session and collects the answer. */
export function postOnSession(
  session: ClientHttp2Session,
  path: string,
  body: string,
  contentType = 'application/json',
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': contentType });
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    stream.on('response', (responseHeaders) => {
      status = Number(responseHeaders[':status']);
      headers = responseHeaders;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, headers, text: Buffer.concat(chunks).toString('utf8'), alpn: session.alpnProtocol ?? false }));
    stream.on('error', reject);
    stream.end(body);
  });
}
