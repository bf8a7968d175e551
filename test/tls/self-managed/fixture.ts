/**
 * What the self-managed certificate tests share: the webhook's names in the cluster, a fresh fake
 * API server per test with replicas started against it (and closed after it), and the handshake
 * the API server makes, trusting only the caBundle.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { afterEach, beforeEach } from 'vitest';
import type { CertificateSource } from '../../../src/tls/certificate-source.ts';
import { startSelfManagedCertificates } from '../../../src/tls/self-managed/certificates.ts';
import type { SelfManagedOptions } from '../../../src/tls/self-managed/certificates.ts';
import { ADMISSION_REGISTRATION_GROUP, CORE_GROUP } from '../../../testkit/api-groups.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import type { ResourceRef } from '../../../testkit/fake-api-server.ts';
import { recordingLogger } from '../tls-probe.ts';
import type { RecordingLogger } from '../tls-probe.ts';

export const NAMESPACE = 'webhook-system';
export const SECRET = { namespace: NAMESPACE, name: 'snapshot-webhook-tls' };
export const SERVICE = { namespace: NAMESPACE, name: 'snapshot-webhook' };
export const CONFIGURATION = 'snapshot-webhook';
/** The name the API server asks for: the Service's, as in the webhook's clientConfig. */
export const SERVER_NAME = 'snapshot-webhook.webhook-system.svc';
export const CONFIGURATIONS: ResourceRef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
};

/** Every certificate of a PEM bundle, in order. */
export function certificatesOf(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

/** A handshake as the API server makes it: to the Service's name, trusting the caBundle only. */
export function apiServerHandshake(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: SERVER_NAME, ca }, () => {
      resolve(socket.getPeerX509Certificate() as X509Certificate);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

export interface SelfManagedFixture {
  /** This test's fake API server (a new one for every test). */
  readonly api: FakeApiServer;
  /** What every replica of this test logged. */
  readonly logger: RecordingLogger;
  /** Run after this test, the latest first, before the API server is closed. */
  readonly onCleanup: (...cleanups: (() => unknown)[]) => void;
  /** A replica of the webhook keeping its certificates in SECRET, closed after the test. */
  readonly startReplica: (overrides?: Partial<SelfManagedOptions>) => Promise<CertificateSource>;
}

/**
 * Registers the beforeEach and afterEach (call it at the level the tests share); `timing` is how
 * fast the replicas poll and rotate, which each suite sets for what it watches.
 */
export function useSelfManagedFixture(timing: Pick<SelfManagedOptions, 'pollIntervalMs' | 'lifetimes'>): SelfManagedFixture {
  let api: FakeApiServer | undefined;
  let logger: RecordingLogger = recordingLogger();
  let cleanups: (() => unknown)[] = [];

  beforeEach(async () => {
    api = await FakeApiServer.start({ groups: [CORE_GROUP, ADMISSION_REGISTRATION_GROUP] });
    logger = recordingLogger();
    cleanups = [];
  });

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await api?.close();
    api = undefined;
  });

  const currentApi = (): FakeApiServer => {
    if (api === undefined) throw new Error('the fake API server runs only during a test');
    return api;
  };

  return {
    get api() {
      return currentApi();
    },
    get logger() {
      return logger;
    },
    onCleanup: (...more) => {
      cleanups.push(...more);
    },
    startReplica: async (overrides = {}) => {
      const source = await startSelfManagedCertificates({
        kubeConfig: currentApi().kubeConfig(),
        secret: SECRET,
        service: SERVICE,
        webhookConfiguration: CONFIGURATION,
        logger,
        ...timing,
        ...overrides,
      });
      cleanups.push(() => source.close());
      return source;
    },
  };
}
