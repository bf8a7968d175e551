import { X509Certificate } from 'node:crypto';
import { connect as connectHttp2 } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { caBundlesOf } from '../../../src/tls/self-managed/ca-bundle.ts';
import { carryOut, checkLifetimes, nextStep } from '../../../src/tls/self-managed/rotation.ts';
import type { CertificateLifetimes } from '../../../src/tls/self-managed/rotation.ts';
import { assessMaterial } from '../../../src/tls/self-managed/secret.ts';
import type { TlsMaterial } from '../../../src/tls/self-managed/secret.ts';
import { serviceDnsNames } from '../../../src/tls/self-managed/certificates.ts';
import { generateCertificateAuthority, generateServingCertificate } from '../../../src/tls/self-signed.ts';
import type { CertificateAuthority } from '../../../src/tls/self-signed.ts';
import { waitFor } from '../../support/wait-for.ts';
import {
  CONFIGURATION,
  CONFIGURATIONS,
  SERVER_NAME,
  SERVICE,
  apiServerHandshake,
  certificatesOf,
  useSelfManagedFixture,
} from './fixture.ts';
import { startServer } from '../tls-probe.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const DNS_NAMES = serviceDnsNames(SERVICE);

function pem(ca: CertificateAuthority): string {
  return new X509Certificate(ca.cert).toString();
}

describe('nextStep: the next step from what the Secret holds', () => {
  const lifetimes: CertificateLifetimes = { caMs: 12 * DAY_MS, servingMs: 4 * DAY_MS, renewFraction: 1 / 3, propagationMs: 60_000 };
  const issue = (ca: CertificateAuthority, validityDays: number) =>
    generateServingCertificate(ca, { dnsNames: DNS_NAMES, ipAddresses: [], validityDays });

  it('a CA rotation: waits for the caBundle, records when it was seen, waits propagationMs, then serves the new CA', async () => {
    const [oldCa, newCa] = await Promise.all([
      generateCertificateAuthority({ commonName: 'old', validityDays: 12 }),
      generateCertificateAuthority({ commonName: 'new', validityDays: 12 }),
    ]);
    const leaf = await issue(oldCa, 3);
    const rolling: TlsMaterial = {
      cert: leaf.cert,
      key: leaf.key,
      caBundle: pem(oldCa) + pem(newCa),
      caKey: newCa.key,
      published: undefined,
    };
    const now = Date.now();
    const state = assessMaterial(rolling, DNS_NAMES, now);
    expect(state.signer?.subject).toBe('CN=new');
    expect(state.leafIssuer?.subject).toBe('CN=old');

    expect(nextStep(state, { now, lifetimes, bundlePublished: false })).toBeUndefined();
    expect(nextStep(state, { now, lifetimes, bundlePublished: true })?.step).toBe('mark-published');

    const marked = assessMaterial(await carryOut('mark-published', state, { now, lifetimes, dnsNames: DNS_NAMES }), DNS_NAMES, now);
    expect(marked.signerPublishedAt?.getTime()).toBe(now);
    expect(nextStep(marked, { now: now + 59_000, lifetimes, bundlePublished: true })).toBeUndefined();
    expect(nextStep(marked, { now: now + 60_000, lifetimes, bundlePublished: false })).toBeUndefined();
    expect(nextStep(marked, { now: now + 60_000, lifetimes, bundlePublished: true })?.step).toBe('new-certificate');

    const switched = assessMaterial(await carryOut('new-certificate', marked, { now, lifetimes, dnsNames: DNS_NAMES }), DNS_NAMES, now);
    expect(switched.leafIssuer?.subject).toBe('CN=new');
    expect(switched.bundlePem).toBe(rolling.caBundle);
    expect(nextStep(switched, { now, lifetimes, bundlePublished: true })).toBeUndefined();
  });

  it('renews the serving certificate, and rotates the CA, when a third of their life is left', async () => {
    const ca = await generateCertificateAuthority({ commonName: 'only', validityDays: 12 });
    const leaf = await issue(ca, 3);
    const now = Date.now();
    const state = assessMaterial(
      { cert: leaf.cert, key: leaf.key, caBundle: pem(ca), caKey: ca.key, published: undefined },
      DNS_NAMES,
      now,
    );
    expect(nextStep(state, { now, lifetimes, bundlePublished: true })).toBeUndefined();
    // 4 days / 3 = 1.33 days before the end of the serving certificate (valid 3 days).
    expect(nextStep(state, { now: now + 1.6 * DAY_MS, lifetimes, bundlePublished: true })).toBeUndefined();
    expect(nextStep(state, { now: now + 1.7 * DAY_MS, lifetimes, bundlePublished: true })?.step).toBe('new-certificate');
    // 12 days / 3 = 4 days before the end of the CA, whatever the serving certificate.
    expect(nextStep(state, { now: now + 8.1 * DAY_MS, lifetimes, bundlePublished: true })?.step).toBe('new-ca');

    const rotated = assessMaterial(await carryOut('new-ca', state, { now, lifetimes, dnsNames: DNS_NAMES }), DNS_NAMES, now);
    expect(rotated.authorities.map((authority) => authority.subject)).toEqual([
      'CN=only',
      expect.stringMatching(/^CN=snapshot-webhook CA /),
    ]);
    expect(rotated.material.cert).toBe(leaf.cert);
  });

  it('drops a CA from the bundle once it has expired', async () => {
    const [shortCa, ca] = await Promise.all([
      generateCertificateAuthority({ validityDays: 1 }),
      generateCertificateAuthority({ validityDays: 12 }),
    ]);
    const leaf = await issue(ca, 3);
    const later = Date.now() + 1.1 * DAY_MS;
    const material: TlsMaterial = { cert: leaf.cert, key: leaf.key, caBundle: pem(shortCa) + pem(ca), caKey: ca.key, published: undefined };
    const state = assessMaterial(material, DNS_NAMES, later);
    expect(nextStep(state, { now: later, lifetimes, bundlePublished: true })?.step).toBe('prune-bundle');
    expect((await carryOut('prune-bundle', state, { now: later, lifetimes, dnsNames: DNS_NAMES })).caBundle).toBe(pem(ca));
  });

  it('refuses lifetimes where a serving certificate could outlive its CA', () => {
    expect(() => checkLifetimes({ ...lifetimes, servingMs: 5 * DAY_MS })).toThrow(/must fit in the last/);
  });
});

// Short enough to watch whole: the certificate is renewed at ~1.5 s, the CA rotated at ~3 s,
// its certificate served ~0.5 s later, and the first CA leaves the bundle at ~6 s.
const ROTATING: CertificateLifetimes = { caMs: 6000, servingMs: 3000, renewFraction: 0.5, propagationMs: 500 };

describe('rotation against the API server, watched through real handshakes', () => {
  const fixture = useSelfManagedFixture({ pollIntervalMs: 50, lifetimes: ROTATING });
  const { startReplica } = fixture;

  // Registered after the fixture's, so it runs once this test's API server is up.
  beforeEach(() => {
    fixture.api.createObject(CONFIGURATIONS, {
      metadata: { name: CONFIGURATION },
      webhooks: ['snapshot.webhook.io', 'groupsnapshot.webhook.io'].map((name) => ({
        name,
        clientConfig: { service: { ...SERVICE, path: '/validate' } },
      })),
    });
  });

  /** The caBundle now: both webhooks always carry the same one. */
  function caBundle(): string {
    const [first, second] = caBundlesOf(fixture.api.getObject(CONFIGURATIONS, CONFIGURATION) ?? {});
    expect(second).toBe(first);
    return first ?? '';
  }

  interface Observation {
    /** When the caBundle was read, and when the handshake was over. */
    readonly bundleAt: number;
    readonly at: number;
    readonly bundle: readonly string[];
    readonly served: string;
    readonly issuer: string;
  }

  /** Handshakes trusting only the caBundle of that moment, until `done`; every one must verify. */
  async function observe(port: number, done: (observation: Observation) => boolean): Promise<Observation[]> {
    const observations: Observation[] = [];
    const deadline = Date.now() + 12_000;
    for (;;) {
      const bundleAt = Date.now();
      const bundle = caBundle();
      const served = await apiServerHandshake(port, bundle);
      const authorities = certificatesOf(bundle);
      const issuer = authorities.find((authority) => served.checkIssued(authority) && served.verify(authority.publicKey));
      const observation = {
        bundleAt,
        at: Date.now(),
        bundle: authorities.map((a) => a.fingerprint256),
        served: served.fingerprint256,
        issuer: issuer?.fingerprint256 ?? '',
      };
      observations.push(observation);
      if (done(observation)) return observations;
      if (Date.now() > deadline) throw new Error(`rotation not complete after 12 s: ${JSON.stringify(observations.at(-1))}`);
      await sleep(20);
    }
  }

  it('renews from the same CA, then trusts a new CA before serving a certificate it signed, then drops the old CA', async () => {
    const source = await startReplica();
    const server = await startServer(source);
    fixture.onCleanup(() => server.close());
    const [firstCa] = certificatesOf(caBundle()).map((authority) => authority.fingerprint256);

    const observations = await observe(server.port, (observation) => !observation.bundle.includes(firstCa ?? ''));

    // Every handshake verified against the caBundle of its moment (observe would have thrown).
    const leaves = [...new Set(observations.map((observation) => observation.served))];
    const issuers = [...new Set(observations.map((observation) => observation.issuer))];
    expect(leaves.length).toBeGreaterThanOrEqual(3);
    expect(issuers[0]).toBe(firstCa);
    const newCa = issuers[1];
    expect(newCa).toBeDefined();
    // Stage 1: a new certificate of the first CA, the caBundle unchanged.
    const renewal = observations.find((observation) => observation.served === leaves[1]);
    expect(renewal).toMatchObject({ issuer: firstCa, bundle: [firstCa] });
    // Stages 2 and 3: the new CA is in the caBundle, next to the old, propagationMs before it signs what is served.
    const trustedIndex = observations.findIndex((observation) => observation.bundle.includes(newCa!));
    const served = observations.find((observation) => observation.issuer === newCa);
    expect(observations[trustedIndex]?.bundle).toEqual([firstCa, newCa]);
    // The caBundle read just before did not have it yet: the new CA came in after that read.
    const untrustedAt = observations[trustedIndex - 1]!.bundleAt;
    expect(served!.at - untrustedAt).toBeGreaterThanOrEqual(ROTATING.propagationMs);
    // Stage 4: the old CA has left, and the new CA serves.
    const last = observations.at(-1)!;
    expect(last.bundle[0]).toBe(newCa);
    expect(last.issuer).toBe(newCa);
  });

  it('requests in flight across the switch to a new CA complete, over HTTP/2 and a kept-alive HTTP/1.1 connection', async () => {
    const source = await startReplica();
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await startServer(source, (request, response) => {
      if (request.url === '/slow') void released.then(() => response.end('slow'));
      else response.end('ok');
    });
    fixture.onCleanup(() => server.close());
    const ca = caBundle();
    const firstIssuer = new X509Certificate(source.current().cert).issuer;
    const session = connectHttp2(`https://127.0.0.1:${server.port}`, { ca, servername: SERVER_NAME });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca, servername: SERVER_NAME });
    fixture.onCleanup(
      () => session.close(),
      () => agent.destroy(),
    );
    expect(await get2(session, '/')).toBe('ok');
    const opened = await get1(agent, server.port, '/');
    const heldFingerprint = opened.peer;
    expect(heldFingerprint).toBe(source.current().fingerprint256);

    const slow = Promise.all([get2(session, '/slow'), get1(agent, server.port, '/slow')]);
    await waitFor('a certificate of a new CA to be served', () => new X509Certificate(source.current().cert).issuer !== firstIssuer, {
      timeoutMs: 8000,
    });
    const fresh = await apiServerHandshake(server.port, caBundle());
    expect(fresh.fingerprint256).not.toBe(heldFingerprint);
    release();

    const [overHttp2, overHttp1] = await slow;
    expect(overHttp2).toBe('slow');
    expect(overHttp1.text).toBe('slow');
    expect(overHttp1).toMatchObject({ socket: opened.socket, peer: heldFingerprint });
    expect(await get2(session, '/')).toBe('ok');
    const again = await get1(agent, server.port, '/');
    expect(again).toMatchObject({ text: 'ok', reused: true, peer: heldFingerprint });
    expect(again.socket).toBe(opened.socket);
    expect((session.socket as TLSSocket).getPeerCertificate().fingerprint256).toBe(heldFingerprint);
  });
});

function get2(session: ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

interface Http1Answer {
  readonly text: string;
  readonly socket: TLSSocket;
  /** Fingerprint of the certificate the connection was made with. */
  readonly peer: string;
  readonly reused: boolean;
}

function get1(agent: Agent, port: number, path: string): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({ host: '127.0.0.1', port, path, agent }, (response) => {
      // Read now: the socket goes back to the agent at 'end'.
      const socket = response.socket as TLSSocket;
      const peer = socket.getPeerCertificate().fingerprint256;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ text, socket, peer, reused: request.reusedSocket }));
    });
    request.on('error', reject);
    request.end();
  });
}
