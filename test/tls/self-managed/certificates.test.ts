import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caBundlesOf } from '../../../src/tls/self-managed/ca-bundle.ts';
import { serviceDnsNames } from '../../../src/tls/self-managed/certificates.ts';
import { createTestCertificates } from '../../../testkit/certificates.ts';
import type { JsonObject, ResourceRef } from '../../../testkit/fake-api-server.ts';
import { waitFor } from '../../support/wait-for.ts';
import {
  CONFIGURATION,
  CONFIGURATIONS,
  NAMESPACE,
  SECRET,
  SERVICE,
  apiServerHandshake,
  certificatesOf,
  useSelfManagedFixture,
} from './fixture.ts';
import { startServer } from '../tls-probe.ts';

/**
 * Self-managed certificates against the fake API server: the Secret and the caBundle as the
 * replicas leave them, and real TLS handshakes from a client that trusts only the caBundle.
 */
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespace: NAMESPACE };
const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets`;

const fixture = useSelfManagedFixture({ pollIntervalMs: 100, lifetimes: { propagationMs: 300 } });
const { startReplica } = fixture;

/** Two webhooks without caBundle, as the chart installs it; `keptField` stands for fields a client may not know. */
function webhookConfiguration(): JsonObject {
  const webhook = (name: string) => ({
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: { service: { name: SERVICE.name, namespace: NAMESPACE, path: '/validate', port: 443 } },
    keptField: { by: name },
  });
  return { metadata: { name: CONFIGURATION }, webhooks: [webhook('snapshot.webhook.io'), webhook('groupsnapshot.webhook.io')] };
}

function secretData(): Record<string, string> {
  const data = (fixture.api.getObject(SECRETS, SECRET.name)?.data ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

function caBundles(): string[] {
  const configuration = fixture.api.getObject(CONFIGURATIONS, CONFIGURATION);
  return configuration === undefined ? [] : caBundlesOf(configuration);
}

describe('start-up', () => {
  /** The layout of the Secret; returns its CA and serving certificate. */
  function expectSecretLayout(): { ca: X509Certificate; leaf: X509Certificate } {
    expect(fixture.api.getObject(SECRETS, SECRET.name)?.type).toBe('kubernetes.io/tls');
    const data = secretData();
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const [ca, ...others] = certificatesOf(data['ca.crt'] ?? '');
    expect(others).toEqual([]);
    expect(ca?.ca).toBe(true);
    expect(ca?.checkPrivateKey(createPrivateKey(data['ca.key'] ?? ''))).toBe(true);
    const leaf = new X509Certificate(data['tls.crt'] ?? '');
    expect(leaf.checkPrivateKey(createPrivateKey(data['tls.key'] ?? ''))).toBe(true);
    expect(leaf.verify(ca!.publicKey)).toBe(true);
    return { ca: ca!, leaf };
  }

  it('creates the Secret, sets the caBundle of every webhook, and serves a certificate the caBundle verifies', async () => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const source = await startReplica();

    const { ca, leaf } = expectSecretLayout();
    expect(leaf.subjectAltName?.split(', ')).toEqual(serviceDnsNames(SERVICE).map((name) => `DNS:${name}`));
    expect(serviceDnsNames(SERVICE)).toEqual([
      'snapshot-webhook',
      'snapshot-webhook.webhook-system',
      'snapshot-webhook.webhook-system.svc',
      'snapshot-webhook.webhook-system.svc.cluster.local',
    ]);
    const annotations = (fixture.api.getObject(SECRETS, SECRET.name)?.metadata as JsonObject).annotations;
    expect(annotations).toMatchObject({
      'snapshot-webhook.io/signing-ca': ca.fingerprint256,
      'snapshot-webhook.io/serving-ca': ca.fingerprint256,
    });

    const bundle = secretData()['ca.crt'];
    expect(caBundles()).toEqual([bundle, bundle]);
    const webhooks = fixture.api.getObject(CONFIGURATIONS, CONFIGURATION)?.webhooks as JsonObject[];
    expect(webhooks.map((webhook) => webhook.keptField)).toEqual([{ by: 'snapshot.webhook.io' }, { by: 'groupsnapshot.webhook.io' }]);

    expect(source.current().fingerprint256).toBe(leaf.fingerprint256);
    const server = await startServer(source);
    fixture.onCleanup(() => server.close());
    expect((await apiServerHandshake(server.port, bundle ?? '')).fingerprint256).toBe(leaf.fingerprint256);
  });

  it('a second replica uses the Secret of the first: same certificate, no second create', async () => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const first = await startReplica();
    const writes = fixture.api.requests.filter((request) => request.method !== 'GET').length;
    const second = await startReplica();

    expect(second.current().fingerprint256).toBe(first.current().fingerprint256);
    expect(fixture.api.requestsTo(SECRET_PATH, 'POST')).toHaveLength(1);
    // Nothing was due: the second replica wrote neither the Secret nor the caBundle.
    expect(fixture.api.requests.filter((request) => request.method !== 'GET')).toHaveLength(writes);
  });

  it('replicas starting together agree on one Secret: one create wins, the others read it', async () => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const replicas = await Promise.all([startReplica(), startReplica(), startReplica()]);

    const fingerprint = new X509Certificate(secretData()['tls.crt'] ?? '').fingerprint256;
    expect(replicas.map((replica) => replica.current().fingerprint256)).toEqual([fingerprint, fingerprint, fingerprint]);
    const creates = fixture.api.requestsTo(SECRET_PATH, 'POST').map((request) => request.status);
    expect(creates.sort()).toEqual([201, 409, 409]);
    expect(caBundles()).toEqual([secretData()['ca.crt'], secretData()['ca.crt']]);
  });

  interface Broken {
    readonly contents: () => Promise<Record<string, string>>;
    /** What is regenerated: everything, or the serving certificate (its CA is fine and stays). */
    readonly step: string;
  }
  const broken: Record<string, Broken> = {
    'not PEM at all': {
      contents: () => Promise.resolve({ 'tls.crt': 'garbage', 'tls.key': 'garbage', 'ca.crt': 'garbage', 'ca.key': 'garbage' }),
      step: 'new-ca-and-certificate',
    },
    'a serving key that does not match': {
      contents: async () => {
        const [one, other] = await Promise.all([createTestCertificates(), createTestCertificates()]);
        return { 'tls.crt': one.cert, 'tls.key': other.key, 'ca.crt': one.caCert, 'ca.key': one.ca.key };
      },
      step: 'new-certificate',
    },
  };

  it.each(Object.keys(broken))('a Secret holding %s is regenerated in place, with a warning', async (what) => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const { contents, step } = broken[what]!;
    const original = await contents();
    const data = Object.fromEntries(Object.entries(original).map(([key, text]) => [key, Buffer.from(text).toString('base64')]));
    const before = fixture.api.createObject(SECRETS, { metadata: { name: SECRET.name }, type: 'kubernetes.io/tls', data });

    const source = await startReplica();

    const after = fixture.api.getObject(SECRETS, SECRET.name);
    expect((after?.metadata as JsonObject).uid).toBe((before.metadata as JsonObject).uid);
    const repaired = secretData();
    expect(source.current().fingerprint256).toBe(new X509Certificate(repaired['tls.crt'] ?? '').fingerprint256);
    expect(source.current().dnsNames).toEqual(serviceDnsNames(SERVICE));
    if (step === 'new-certificate') expect(repaired['ca.key']).toBe(original['ca.key']);
    expect(caBundles()).toEqual([repaired['ca.crt'], repaired['ca.crt']]);
    const warnings = fixture.logger.records.filter((record) => record.level === 'warn' && record.message.endsWith(`: ${step}`));
    expect(warnings).toHaveLength(1);
  });

  it('the webhook configuration missing at start: serves anyway, and sets the caBundle once it is created', async () => {
    const source = await startReplica();
    expect(source.current().dnsNames).toEqual(serviceDnsNames(SERVICE));
    await waitFor('a warning about the missing configuration', () =>
      fixture.logger.records.some((record) => record.level === 'warn' && record.message.includes('does not exist')),
    );

    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    await waitFor('the caBundle to be set', () => caBundles().every((bundle) => bundle !== '' && bundle === secretData()['ca.crt']), {
      timeoutMs: 3000,
    });
    expect(caBundles()).toHaveLength(2);
  });
});

describe('while running', () => {
  it('a deleted Secret is recreated with a new CA, which is trusted before a certificate it signed is served', async () => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const source = await startReplica();
    const server = await startServer(source);
    fixture.onCleanup(() => server.close());
    const before = secretData();
    const [oldCa] = certificatesOf(before['ca.crt'] ?? '');

    fixture.api.deleteObject(SECRETS, SECRET.name);
    await waitFor('the Secret to be recreated', () => fixture.api.getObject(SECRETS, SECRET.name) !== undefined, { timeoutMs: 3000 });
    const recreated = secretData();
    // The certificate being served stays, its CA stays trusted, a new CA joins.
    expect(recreated['tls.crt']).toBe(before['tls.crt']);
    const [kept, newCa, ...more] = certificatesOf(recreated['ca.crt'] ?? '');
    expect(more).toEqual([]);
    expect(kept?.fingerprint256).toBe(oldCa?.fingerprint256);
    expect(newCa?.checkPrivateKey(createPrivateKey(recreated['ca.key'] ?? ''))).toBe(true);

    await waitFor('a certificate of the new CA to be served', () => source.current().cert !== before['tls.crt'], { timeoutMs: 5000 });
    const served = await apiServerHandshake(server.port, caBundles()[0] ?? '');
    expect(served.verify(newCa!.publicKey)).toBe(true);
    expect(fixture.logger.records.some((record) => record.level === 'warn' && record.message.includes('the Secret is gone'))).toBe(true);
  });

  it('with the API server out of reach, keeps serving and warns; once it is back, repairs the caBundle', async () => {
    fixture.api.createObject(CONFIGURATIONS, webhookConfiguration());
    const source = await startReplica();
    const served = source.current().fingerprint256;

    await fixture.api.setUnreachable(true);
    await waitFor('a warning that the API server is out of reach', () =>
      fixture.logger.records.some((record) => record.level === 'warn' && record.message.includes('still serving the current certificate')),
    );
    expect(source.current().fingerprint256).toBe(served);
    // Someone empties the caBundle meanwhile (the fake's store stays writable from here).
    fixture.api.updateObject(CONFIGURATIONS, webhookConfiguration());
    expect(caBundles()).toEqual(['', '']);

    await fixture.api.setUnreachable(false);
    await waitFor('the caBundle to be set again', () => caBundles().every((bundle) => bundle === secretData()['ca.crt']), {
      timeoutMs: 5000,
    });
    expect(source.current().fingerprint256).toBe(served);
  });
});
