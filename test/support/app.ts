import { pino } from 'pino';
import { buildApp, type AppOptions, type WebhookApp } from '../../src/app.ts';
import type { ClusterView } from '../../src/rules/class-view.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { serverTlsOptions } from '../../src/tls/server-tls.ts';
import { createTestCertificates, type TestCertificates } from '../../testkit/certificates.ts';

/** The real app with a real certificate, for inject() and for requests over TLS on loopback. */
export interface TestApp {
  readonly app: WebhookApp;
  readonly certificates: TestCertificates;
  /** https://localhost:PORT once listen() has been called. */
  listen(): Promise<string>;
}

export async function createTestApp(overrides: Partial<AppOptions> & { cluster?: ClusterView } = {}): Promise<TestApp> {
  const certificates = await createTestCertificates();
  const app = buildApp({
    tls: serverTlsOptions(loadServingCertificate(certificates.cert, certificates.key)),
    logger: pino({ level: 'silent' }),
    cluster: { snapshotClasses: null, groupSnapshotClasses: null },
    ruleOptions: { preventVolumeModeConversion: true },
    metrics: createMetrics(),
    bodyLimitBytes: 8 * 1024 * 1024,
    keepAliveTimeoutMs: 120_000,
    ...overrides,
  });
  return {
    app,
    certificates,
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      return `https://localhost:${port}`;
    },
  };
}
