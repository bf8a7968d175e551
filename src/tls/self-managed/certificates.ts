/**
 * Self-managed certificates: the webhook makes its own CA and serving certificate, keeps them in
 * a Secret its replicas share, writes the CA into the caBundle of its
 * ValidatingWebhookConfiguration, serves the Secret's certificate, and renews before expiry
 * (rotation.ts: in an order that keeps every request working).
 *
 * Every replica runs the same loop: read the Secret, make every caBundle equal to its ca.crt,
 * serve its certificate, and take the next step if one is due — a write with the
 * resourceVersion it read, so that when replicas race one wins and the others (409) reread and
 * look again. Reads are GETs every pollIntervalMs: the chart grants get/update on the two
 * objects by name, and no list or watch.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { Backoff, sleep } from '../../cluster/backoff.ts';
import { describeError, WebhookError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ServingCertificate } from '../certificate.ts';
import { certificateLogFields } from '../certificate-log.ts';
import type { CertificateListener, CertificateSource } from '../certificate-source.ts';
import { KubeJsonClient, secretPath, secretsPath } from './api.ts';
import type { JsonObject, ObjectName } from './api.ts';
import { publishCaBundle } from './ca-bundle.ts';
import type { CaBundleStatus } from './ca-bundle.ts';
import { carryOut, checkLifetimes, nextStep, DEFAULT_LIFETIMES } from './rotation.ts';
import type { CertificateLifetimes, PlannedStep } from './rotation.ts';
import { assessMaterial, EMPTY_MATERIAL, readSecret, secretObject } from './secret.ts';
import type { StoredSecret, TlsMaterial, TlsState } from './secret.ts';

export type { ObjectName } from './api.ts';
export type { CertificateLifetimes } from './rotation.ts';
export { DEFAULT_LIFETIMES } from './rotation.ts';

export interface SelfManagedOptions {
  readonly kubeConfig: KubeConfig;
  /** Where the CA and the serving certificate are kept. */
  readonly secret: ObjectName;
  /** The ValidatingWebhookConfiguration whose webhooks get the CA as caBundle. */
  readonly webhookConfiguration: string;
  /** The Service in front of the webhook: its DNS names go into the serving certificate. */
  readonly service: ObjectName;
  readonly logger: Logger;
  readonly lifetimes?: Partial<CertificateLifetimes>;
  /** How often the Secret and the caBundle are checked. */
  readonly pollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  /** How long start-up keeps trying to read or create the Secret before it gives up. */
  readonly startTimeoutMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Writes one reconciliation may make: a fresh start takes two (create, mark-published). */
const MAX_STEPS = 6;

/** The names a Service answers to in the cluster, short to fully qualified. */
export function serviceDnsNames(service: ObjectName): string[] {
  const { name, namespace } = service;
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

/**
 * Reads (or creates) the Secret, puts its CA into the caBundle when the configuration exists,
 * and returns the source of the certificate to serve; it then keeps all of it current.
 * @throws WebhookError CERTIFICATE_INVALID when the Secret cannot be read or created in time.
 */
export async function startSelfManagedCertificates(options: SelfManagedOptions): Promise<CertificateSource> {
  const certificates = new SelfManagedCertificates(options);
  await certificates.start();
  return certificates;
}

class SelfManagedCertificates implements CertificateSource {
  readonly #options: SelfManagedOptions;
  readonly #lifetimes: CertificateLifetimes;
  readonly #dnsNames: readonly string[];
  readonly #abort = new AbortController();
  readonly #client: KubeJsonClient;
  readonly #listeners = new Set<CertificateListener>();
  readonly #pollIntervalMs: number;
  #certificate: ServingCertificate | undefined;
  /** The Secret as last read: what is recreated if someone deletes it. */
  #remembered: TlsMaterial | undefined;
  #bundleReport = '';

  constructor(options: SelfManagedOptions) {
    this.#options = options;
    this.#lifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
    checkLifetimes(this.#lifetimes);
    this.#dnsNames = serviceDnsNames(options.service);
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#client = new KubeJsonClient(options.kubeConfig, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, this.#abort.signal);
  }

  async start(): Promise<void> {
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const backoff = this.#backoff();
    while (!(await this.#tryReconcile(Date.now() < deadline))) {
      if (!(await sleep(backoff.next(), this.#abort.signal))) break;
    }
    const certificate = this.current();
    this.#options.logger.info(
      { secret: this.#secretName(), webhookConfiguration: this.#options.webhookConfiguration, ...certificateLogFields(certificate) },
      'self-managed certificates: serving the certificate of the Secret',
    );
    void this.#run();
  }

  current(): ServingCertificate {
    if (this.#certificate === undefined) throw new WebhookError('CERTIFICATE_UNSETTLED', 'not started');
    return this.#certificate;
  }

  onChange(listener: CertificateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#abort.abort();
    this.#listeners.clear();
  }

  /** One start-up attempt: true once there is a certificate to serve. Throws when time is up. */
  async #tryReconcile(timeLeft: boolean): Promise<boolean> {
    try {
      await this.#reconcile();
      if (this.#certificate !== undefined) return true;
      throw new WebhookError('CERTIFICATE_UNSETTLED', 'the Secret did not settle on a usable certificate');
    } catch (error) {
      const reason = `self-managed certificates: cannot read or create Secret ${this.#secretName()}: ${describeError(error)}`;
      if (!timeLeft || this.#abort.signal.aborted) throw new WebhookError('CERTIFICATE_INVALID', reason);
      this.#options.logger.warn({ error: describeError(error) }, `${reason}; retrying`);
      return false;
    }
  }

  /** Polls until closed; an API server out of reach delays the next poll, the certificate stays. */
  async #run(): Promise<void> {
    const backoff = this.#backoff();
    for (;;) {
      let delayMs = this.#pollIntervalMs * (0.9 + 0.2 * Math.random());
      try {
        await this.#reconcile();
        backoff.reset();
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        delayMs = backoff.next();
        this.#options.logger.warn(
          { error: describeError(error), retryInMs: delayMs, servingFingerprint256: this.#certificate?.fingerprint256 },
          'self-managed certificates: cannot check the Secret or the caBundle; still serving the current certificate',
        );
      }
      if (!(await sleep(delayMs, this.#abort.signal))) return;
    }
  }

  #backoff(): Backoff {
    return new Backoff({ initialMs: Math.min(1000, this.#pollIntervalMs), maxMs: this.#pollIntervalMs, jitter: 0.2 });
  }

  /** Read, publish the bundle, serve, then take the steps that are due, one write each. */
  async #reconcile(): Promise<void> {
    let stored = await this.#read();
    for (let step = 0; step < MAX_STEPS && !this.#abort.signal.aborted; step += 1) {
      stored ??= await this.#create();
      if (stored === undefined) continue;
      this.#remembered = stored.material;
      const state = this.#assess(stored.material);
      const bundlePublished = await this.#publish(state);
      this.#adopt(state);
      const decision = nextStep(state, { now: Date.now(), lifetimes: this.#lifetimes, bundlePublished });
      if (decision === undefined) return;
      stored = await this.#replace(decision, state, stored.resourceVersion);
    }
    this.#options.logger.warn({ secret: this.#secretName() }, 'self-managed certificates: the Secret keeps changing; trying again later');
  }

  async #read(): Promise<StoredSecret | undefined> {
    const object = await this.#client.get(secretPath(this.#options.secret));
    return object === undefined ? undefined : readSecret(object);
  }

  /**
   * A missing Secret: on first start, a new CA and certificate. Deleted while running: a new CA
   * joins what was trusted, and the certificate being served stays until the new CA is
   * trusted everywhere in turn — new keys, and no request fails meanwhile.
   */
  async #create(): Promise<StoredSecret | undefined> {
    const remembered = this.#remembered;
    const base = remembered === undefined ? EMPTY_MATERIAL : { ...remembered, caKey: '', published: undefined };
    const state = this.#assess(base);
    const decision = nextStep(state, { now: Date.now(), lifetimes: this.#lifetimes, bundlePublished: false });
    const material = await carryOut(decision?.step ?? 'new-ca-and-certificate', state, this.#issueContext());
    const fields = { secret: this.#secretName() };
    if (remembered === undefined) this.#options.logger.info(fields, 'self-managed certificates: creating the Secret with a new CA');
    else this.#options.logger.warn(fields, 'self-managed certificates: the Secret is gone; recreating it with a new CA');
    const created = await this.#client.write('POST', secretsPath(this.#options.secret.namespace), this.#secretObject(material));
    if (typeof created !== 'string') return readSecret(created);
    if (created === 'not-found') throw new WebhookError('NAMESPACE_NOT_FOUND', this.#options.secret.namespace);
    this.#options.logger.info(fields, 'self-managed certificates: another replica created the Secret first; using it');
    return this.#read();
  }

  /** Writes the outcome of the step; on a conflict (another replica was first) rereads instead. */
  async #replace(decision: PlannedStep, state: TlsState, resourceVersion: string): Promise<StoredSecret | undefined> {
    // Content that is there but cannot be used: someone or something broke the Secret.
    const { cert, caKey } = state.material;
    const repairing = (cert !== '' || caKey !== '') && (state.leaf === undefined || state.signer === undefined);
    this.#options.logger[repairing ? 'warn' : 'info'](
      { secret: this.#secretName(), step: decision.step, reason: decision.reason },
      `self-managed certificates: ${decision.step}`,
    );
    const material = await carryOut(decision.step, state, this.#issueContext());
    const written = await this.#client.write('PUT', secretPath(this.#options.secret), this.#secretObject(material, resourceVersion));
    if (written === 'not-found') return undefined;
    if (written !== 'conflict') return readSecret(written);
    this.#options.logger.debug({ secret: this.#secretName() }, 'self-managed certificates: another replica changed the Secret first');
    return this.#read();
  }

  /** Makes every caBundle equal to the bundle; true when they are. Failing here stops no one. */
  async #publish(state: TlsState): Promise<boolean> {
    if (state.authorities.length === 0) return false;
    let status: CaBundleStatus;
    try {
      status = await publishCaBundle(this.#client, this.#options.webhookConfiguration, state.bundlePem);
    } catch (error) {
      if (this.#abort.signal.aborted) throw error;
      this.#reportBundle('warn', `cannot update the caBundle: ${describeError(error)}`);
      return false;
    }
    if (status === 'missing') {
      this.#reportBundle('warn', 'the ValidatingWebhookConfiguration does not exist (yet); its caBundle is set once it does');
    } else if (status === 'updated') {
      this.#reportBundle('info', `caBundle updated to ${state.authorities.length} CA(s)`, true);
    } else {
      this.#reportBundle('debug', 'caBundle is current');
    }
    return status !== 'missing';
  }

  /** Logs each caBundle outcome once until it changes, not at every poll. */
  #reportBundle(level: 'warn' | 'info' | 'debug', message: string, always = false): void {
    if (message === this.#bundleReport && !always) return;
    this.#bundleReport = message;
    this.#options.logger[level]({ webhookConfiguration: this.#options.webhookConfiguration }, `self-managed certificates: ${message}`);
  }

  /** Serves the Secret's certificate when it is usable and not the one served already. */
  #adopt(state: TlsState): void {
    const { leaf } = state;
    const previous = this.#certificate;
    if (leaf === undefined || (previous?.cert === leaf.cert && previous.key === leaf.key)) return;
    this.#certificate = leaf;
    if (previous === undefined) return;
    this.#options.logger.info(
      { ...certificateLogFields(leaf), issuer: state.leafIssuer?.subject, previousFingerprint256: previous.fingerprint256 },
      'self-managed certificates: the Secret holds a new certificate; new connections get it',
    );
    for (const listener of this.#listeners) this.#notify(listener, leaf);
  }

  #notify(listener: CertificateListener, certificate: ServingCertificate): void {
    try {
      listener(certificate);
    } catch (error) {
      this.#options.logger.error({ error: describeError(error) }, 'applying the new serving certificate failed');
    }
  }

  #assess(material: TlsMaterial): TlsState {
    return assessMaterial(material, this.#dnsNames, Date.now());
  }

  #secretObject(material: TlsMaterial, resourceVersion?: string): JsonObject {
    return secretObject(this.#options.secret, this.#assess(material), resourceVersion);
  }

  #issueContext(): { now: number; lifetimes: CertificateLifetimes; dnsNames: readonly string[] } {
    return { now: Date.now(), lifetimes: this.#lifetimes, dnsNames: this.#dnsNames };
  }

  #secretName(): string {
    return `${this.#options.secret.namespace}/${this.#options.secret.name}`;
  }
}
