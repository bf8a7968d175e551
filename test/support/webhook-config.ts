import type { WebhookConfig } from '../../src/config/config.ts';

/**
 * A serve configuration for tests: both ports chosen by the system on 127.0.0.1, no certificate
 * source and no cluster (each test gives the ones it runs with in `overrides`), no drain wait on
 * shutdown, nothing logged.
 */
export function testWebhookConfig(overrides: Partial<WebhookConfig> = {}): WebhookConfig {
  return {
    port: 0,
    metricsPort: 0,
    bindAddress: '127.0.0.1',
    tlsCertFile: '',
    tlsPrivateKeyFile: '',
    selfSignedCaFile: '',
    tlsSecret: '',
    webhookConfiguration: '',
    service: '',
    kubeconfig: '',
    preventVolumeModeConversion: true,
    drainSeconds: 0,
    keepAliveTimeoutSeconds: 120,
    bodyLimitBytes: 4 * 1024 * 1024,
    maxJsonValues: 200_000,
    maxConcurrentStreams: 100,
    maxConnections: 500,
    discoveryIntervalSeconds: 60,
    lookupTimeoutSeconds: 1,
    logLevel: 'silent',
    ...overrides,
  };
}
