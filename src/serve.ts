import type { Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger as PinoLogger } from 'pino';
import { buildApp, type WebhookApp } from './app.ts';
import type { ClassCaches, ClassCachesStatus } from './cluster/class-caches.ts';
import { startClassCaches } from './cluster/class-caches.ts';
import { DISABLED_STATUS, type CacheStatus } from './cluster/class-cache.ts';
import type { ClusterView } from './rules/class-view.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from './cluster/kube-config.ts';
import { objectReader, type ReadObject } from './cluster/object-reader.ts';
import type { WebhookConfig } from './config/config.ts';
import { WebhookError } from './errors.ts';
import { recycleConnections } from './lifecycle/connection-age.ts';
import { trackConnections, type ConnectionTracker } from './lifecycle/connection-tracker.ts';
import { createMetrics, type WebhookMetrics } from './observability/metrics.ts';
import { startProbeServer } from './observability/probe-server.ts';
import { loadServingCertificate } from './tls/certificate.ts';
import { watchCertificateFiles } from './tls/certificate-files.ts';
import { selfManagedOptionsFrom } from './tls/self-managed/config.ts';
import { attachCertificateReload, serverTlsOptions, staticCertificateSource, type CertificateSource } from './tls/server-tls.ts';

/** The serve command: probes → certificates → caches → app → listen, and a graceful way out. */
export interface RunningWebhook {
  readonly app: WebhookApp;
  readonly metrics: WebhookMetrics;
  readonly admissionPort: number;
  readonly metricsPort: number;
  /** Where the CA of a self-signed certificate was written, when one was made. */
  readonly caFile: string | undefined;
  /** Unready, keep serving for the drain period, let requests finish, close. */
  shutdown(): Promise<void>;
}

export function createLogger(config: Pick<WebhookConfig, 'logLevel'>): PinoLogger {
  return pino({ level: config.logLevel, base: { name: 'snapshot-webhook' } });
}

export async function serve(config: WebhookConfig, logger: PinoLogger = createLogger(config)): Promise<RunningWebhook> {
  const supply = certificateSource(config, logger);
  // Files are read and checked before any port is bound: a bad file or kubeconfig must exit with
  // its own message, not with an address error from a port that happens to be taken.
  const kubeConfig = loadKubeConfig({ kubeconfigPath: config.kubeconfig });
  const early = supply.slow ? undefined : await supply.obtain();
  const obtainCertificates = early === undefined ? supply.obtain : () => Promise.resolve(early);
  const metrics = createMetrics();
  const state: StartState = { serving: false, draining: false, caches: null };
  let probes: Server;
  try {
    // Up before a self-managed certificate, which may wait a minute for the API server: a liveness
    // probe that finds no port would kill the pod before it can say why it is waiting.
    probes = await startProbeServer({
      port: config.metricsPort,
      host: config.bindAddress,
      registry: metrics.registry,
      notReadyReasons: () => notReadyReasons(state),
    });
  } catch (error) {
    early?.source.close();
    throw error;
  }
  try {
    return await startAdmission(config, logger, { metrics, state, probes, obtainCertificates, kubeConfig });
  } catch (error) {
    await closeServer(probes);
    throw error;
  }
}

interface StartState {
  serving: boolean;
  draining: boolean;
  caches: ClassCaches | null;
}

interface StartedParts {
  readonly metrics: WebhookMetrics;
  readonly state: StartState;
  readonly probes: Server;
  readonly obtainCertificates: () => Promise<Certificates>;
  readonly kubeConfig: KubeConfig | null;
}

async function startAdmission(config: WebhookConfig, logger: PinoLogger, parts: StartedParts): Promise<RunningWebhook> {
  const certificates = await parts.obtainCertificates();
  let caches: ClassCaches | null = null;
  try {
    caches = classCaches(config, logger, parts.kubeConfig);
    return await listen(config, logger, { ...parts, certificates, caches });
  } catch (error) {
    // A start that fails half-way (a port in use, a bad kubeconfig) leaves no watcher or timer behind.
    certificates.source.close();
    await caches?.stop();
    throw error;
  }
}

interface ListenParts extends StartedParts {
  readonly certificates: Certificates;
  readonly caches: ClassCaches | null;
}

async function listen(config: WebhookConfig, logger: PinoLogger, parts: ListenParts): Promise<RunningWebhook> {
  const { metrics, state, probes, certificates, caches } = parts;
  state.caches = caches;
  const cluster: ClusterView = caches?.view ?? { snapshotClasses: null, groupSnapshotClasses: null };
  metrics.watchCaches(caches ? () => caches.status() : () => noCluster);
  const app = buildApp({
    tls: serverTlsOptions(certificates.source.current()),
    logger,
    cluster,
    ruleOptions: { preventVolumeModeConversion: config.preventVolumeModeConversion },
    metrics,
    staleClassCaches: caches ? () => staleCaches(caches.status()) : undefined,
    readObject: readerOf(config, parts.kubeConfig, metrics),
    lookupTimeoutMs: config.lookupTimeoutSeconds * 1000,
    bodyLimitBytes: config.bodyLimitBytes,
    maxJsonValues: config.maxJsonValues,
    maxConcurrentStreams: config.maxConcurrentStreams,
    maxConnections: config.maxConnections,
    keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
    requestTimeoutMs: config.requestTimeoutSeconds === undefined ? undefined : config.requestTimeoutSeconds * 1000,
  });
  const connections = trackConnections(app.server);
  recycleConnections(app.server, { maxAgeMs: (config.maxConnectionAgeSeconds ?? 0) * 1000 });
  const showExpiry = () => metrics.certificateExpiry.set(certificates.source.current().notAfter.getTime() / 1000);
  showExpiry();
  const stopReload = attachCertificateReload(app.server, certificates.source);
  const stopExpiry = certificates.source.onChange(showExpiry);
  await app.listen({ port: config.port, host: config.bindAddress });
  state.serving = true;
  const admissionPort = portOf(app.server.address());
  const metricsPort = portOf(probes.address());
  logger.info({ admissionPort, metricsPort, caFile: certificates.caFile }, 'snapshot webhook serving');

  const shutdown = runOnce(async () => {
    state.draining = true;
    logger.info({ drainSeconds: config.drainSeconds }, 'shutting down: unready, draining');
    await sleep(config.drainSeconds * 1000);
    await closeGracefully(app, connections, logger);
    stopReload();
    stopExpiry();
    certificates.source.close();
    await caches?.stop();
    await closeServer(probes);
    logger.info('shut down');
  });
  return { app, metrics, admissionPort, metricsPort, caFile: certificates.caFile, shutdown };
}

const noCluster: ClassCachesStatus = { snapshotClasses: DISABLED_STATUS, groupSnapshotClasses: DISABLED_STATUS };

interface Certificates {
  readonly source: CertificateSource;
  readonly caFile: string | undefined;
}

interface CertificateSupply {
  /** Waits on the API server (self-managed): obtained after the probes are up, not before. */
  readonly slow: boolean;
  readonly obtain: () => Promise<Certificates>;
}

/** Checks the certificate flags at once (a bad combination exits before anything listens). */
function certificateSource(config: WebhookConfig, logger: PinoLogger): CertificateSupply {
  const selfManaged = selfManagedOptionsFrom(config, logger);
  if (selfManaged !== undefined) {
    // Loaded only in this mode, as is the self-signed stack below: serving from files needs neither.
    const obtain = async () => {
      const { startSelfManagedCertificates } = await import('./tls/self-managed/certificates.ts');
      return { source: await startSelfManagedCertificates(selfManaged), caFile: undefined };
    };
    return { slow: true, obtain };
  }
  const { tlsCertFile: certFile, tlsPrivateKeyFile: keyFile } = config;
  if ((certFile === '') !== (keyFile === '')) {
    throw new WebhookError('CONFIG_INVALID', '--tls-cert-file and --tls-private-key-file must be given together');
  }
  if (certFile !== '') {
    return { slow: false, obtain: async () => ({ source: await watchCertificateFiles({ certFile, keyFile, logger }), caFile: undefined }) };
  }
  return { slow: false, obtain: () => selfSignedCertificates(config, logger) };
}

async function selfSignedCertificates(config: WebhookConfig, logger: PinoLogger): Promise<Certificates> {
  const caFile = config.selfSignedCaFile || join(tmpdir(), 'snapshot-webhook', 'ca.crt');
  const { generateDevelopmentCertificates } = await import('./tls/self-signed.ts');
  const generated = await generateDevelopmentCertificates({ caFile, dnsNames: [hostname()] });
  logger.warn(
    { caFile },
    `no --tls-cert-file given: serving a self-signed certificate for localhost; trust its CA with curl --cacert ${caFile}`,
  );
  return { source: staticCertificateSource(loadServingCertificate(generated.cert, generated.key)), caFile };
}

function classCaches(config: WebhookConfig, logger: PinoLogger, kubeConfig: KubeConfig | null): ClassCaches | null {
  if (kubeConfig === null) {
    logger.warn(
      'no --kubeconfig and not in a cluster: the default-class rule (one default VolumeSnapshotClass and ' +
        'VolumeGroupSnapshotClass per driver) is OFF; every per-object rule is on',
    );
    return null;
  }
  return startClassCaches({ kubeConfig, logger, discoveryIntervalMs: config.discoveryIntervalSeconds * 1000 });
}

/** The restore and clone rules read single objects from the cluster; without one they are off. */
function readerOf(config: WebhookConfig, kubeConfig: KubeConfig | null, metrics: WebhookMetrics): ReadObject | undefined {
  if (kubeConfig === null) return undefined;
  return objectReader(kubeConfig, {
    timeoutMs: config.lookupTimeoutSeconds * 1000,
    onOutcome: (resource, outcome) => metrics.lookups.inc({ resource, outcome }),
  });
}

function notReadyReasons(state: StartState): string[] {
  const reasons: string[] = [];
  if (!state.serving) reasons.push('starting: serving certificate not loaded yet');
  if (state.draining) reasons.push('shutting down');
  const { caches } = state;
  if (caches !== null && !caches.ready()) {
    const syncing = cachesWhere(caches.status(), (cache) => cache.state === 'syncing');
    reasons.push(`class caches not synced: ${syncing.join(', ')}`);
  }
  return reasons;
}

/** Caches that hold classes but have lost their watch: their state may be behind the cluster. */
function staleCaches(status: ClassCachesStatus): string[] {
  return cachesWhere(status, (cache) => cache.state === 'synced' && !cache.watchConnected);
}

/** The names of the caches whose status matches. */
function cachesWhere(status: ClassCachesStatus, matches: (cache: CacheStatus) => boolean): string[] {
  return (Object.keys(status) as Array<keyof ClassCachesStatus>).filter((name) => matches(status[name]));
}

/** How long requests in flight get to finish once the drain is over. */
const CLOSE_GRACE_MS = 10_000;

async function closeGracefully(app: WebhookApp, connections: ConnectionTracker, logger: PinoLogger): Promise<void> {
  const closed = app.close();
  connections.closeGracefully();
  const timer = setTimeout(() => {
    logger.warn({ open: connections.count() }, 'connections still open after the grace period: closing them');
    connections.destroyAll();
  }, CLOSE_GRACE_MS);
  await closed;
  clearTimeout(timer);
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function portOf(address: ReturnType<Server['address']>): number {
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function runOnce(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}
