/**
 * What to change in the Secret next, and the change itself. Each step is one write of the
 * Secret, decided from what the Secret holds now, so that any replica may take it and a replica
 * that loses the race (409) rereads and decides again: they converge on the same sequence.
 *
 * A CA rotation, in the order that keeps every request working:
 *   1. the signing CA nears its end: a new CA joins ca.crt and its key becomes ca.key; the old
 *      serving certificate is still served, and the old CA stays trusted;
 *   2. a replica sees the new bundle in every caBundle: it records when (mark-published);
 *   3. once that is propagationMs old, a serving certificate signed by the new CA replaces the
 *      old one: every API server trusts it by then;
 *   4. the old CA expires (after the certificates it signed): it leaves ca.crt and the caBundle.
 * A serving certificate near its end while its CA is fine is simply reissued by that CA.
 */
import { X509Certificate } from 'node:crypto';
import { generateCertificateAuthority, generateServingCertificate } from '../self-signed.ts';
import type { CertificateAuthority } from '../self-signed.ts';
import type { TlsMaterial, TlsState } from './secret.ts';
import { WebhookError } from '../../errors.ts';

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;

export interface CertificateLifetimes {
  /** How long a new CA is valid. */
  readonly caMs: number;
  /** How long a new serving certificate is valid. */
  readonly servingMs: number;
  /** A certificate is renewed (a CA rotated) when less than this fraction of its lifetime is left. */
  readonly renewFraction: number;
  /** How long a new CA is in every caBundle before a certificate it signed is served: the time API servers take to see a caBundle change. */
  readonly propagationMs: number;
}

export const DEFAULT_LIFETIMES: CertificateLifetimes = {
  caMs: 365 * DAY_MS,
  servingMs: 90 * DAY_MS,
  renewFraction: 1 / 3,
  propagationMs: 2 * 60 * SECOND_MS,
};

/**
 * A serving certificate must end before the CA that signed it: it is issued only while that CA
 * has more than renewFraction of its life left, so that life must cover a whole certificate.
 * @throws TypeError when the lifetimes do not fit together.
 */
export function checkLifetimes(lifetimes: CertificateLifetimes): void {
  const { caMs, servingMs, renewFraction, propagationMs } = lifetimes;
  if (!(renewFraction > 0 && renewFraction < 1)) throw new TypeError(`renewFraction must be between 0 and 1, got ${renewFraction}`);
  if (!(servingMs > 0 && propagationMs >= 0)) throw new TypeError('servingMs must be positive and propagationMs not negative');
  if (servingMs > caMs * renewFraction) {
    throw new TypeError(`a serving certificate (${servingMs} ms) must fit in the last ${renewFraction} of a CA's life (${caMs} ms)`);
  }
}

export type Step = 'new-ca' | 'new-ca-and-certificate' | 'new-certificate' | 'mark-published' | 'prune-bundle';

export interface PlannedStep {
  readonly step: Step;
  /** Why, for the log. */
  readonly reason: string;
}

export interface StepContext {
  readonly now: number;
  readonly lifetimes: CertificateLifetimes;
  /** Whether every webhook's caBundle was just seen equal to the state's bundle. */
  readonly bundlePublished: boolean;
}

/** The next step, or undefined when the Secret is as it should be for now. */
export function nextStep(state: TlsState, context: StepContext): PlannedStep | undefined {
  const { signer, leaf, leafIssuer } = state;
  if (signer === undefined || leaf === undefined || leafIssuer === undefined) return repair(state);
  const { now, lifetimes } = context;
  if (signer.validToDate.getTime() - now < lifetimes.caMs * lifetimes.renewFraction) {
    return { step: 'new-ca', reason: `the signing CA expires at ${signer.validToDate.toISOString()}` };
  }
  if (leafIssuer.fingerprint256 !== signer.fingerprint256) return rollover(state, signer, context);
  if (leaf.notAfter.getTime() - now < lifetimes.servingMs * lifetimes.renewFraction) {
    return { step: 'new-certificate', reason: `the serving certificate expires at ${leaf.notAfter.toISOString()}` };
  }
  if (state.bundlePem !== state.material.caBundle) {
    return { step: 'prune-bundle', reason: 'ca.crt holds CAs that expired or cannot be used' };
  }
  return undefined;
}

/** A part missing or unusable (a first start is all missing): what still works is kept. */
function repair(state: TlsState): PlannedStep {
  const leafProblem = state.leafProblem ?? 'the serving certificate cannot be used';
  if (state.signer !== undefined) return { step: 'new-certificate', reason: leafProblem };
  const reason = state.material.caKey === '' ? 'there is no CA key' : 'ca.key belongs to no valid CA of ca.crt';
  if (state.leaf !== undefined) return { step: 'new-ca', reason };
  return { step: 'new-ca-and-certificate', reason: `${reason}, and ${leafProblem}` };
}

/** Steps 2 and 3: the certificate of the old CA is served until the new CA is surely trusted. */
function rollover(state: TlsState, signer: X509Certificate, context: StepContext): PlannedStep | undefined {
  if (!context.bundlePublished) return undefined;
  const publishedAt = state.signerPublishedAt;
  if (publishedAt === undefined) {
    return { step: 'mark-published', reason: `every caBundle now trusts the new CA ${signer.fingerprint256}` };
  }
  const sincePublished = context.now - publishedAt.getTime();
  if (sincePublished < context.lifetimes.propagationMs) return undefined;
  return {
    step: 'new-certificate',
    reason: `the new CA has been in every caBundle since ${publishedAt.toISOString()}: serving a certificate it signed`,
  };
}

export interface IssueContext {
  readonly now: number;
  readonly lifetimes: CertificateLifetimes;
  readonly dnsNames: readonly string[];
}

/** The material after the step: new keys and certificates are made here. */
export async function carryOut(step: Step, state: TlsState, context: IssueContext): Promise<TlsMaterial> {
  const material: TlsMaterial = { ...state.material, caBundle: state.bundlePem };
  switch (step) {
    case 'new-ca':
    case 'new-ca-and-certificate':
      return withNewCa(material, step === 'new-ca-and-certificate', context);
    case 'new-certificate':
      return { ...material, ...(await issue(signingAuthority(state), context)) };
    case 'mark-published':
      return { ...material, published: { signingCa: state.signer?.fingerprint256 ?? '', at: new Date(context.now) } };
    case 'prune-bundle':
      return material;
  }
}

async function withNewCa(material: TlsMaterial, withCertificate: boolean, context: IssueContext): Promise<TlsMaterial> {
  // A distinct subject per CA: clients pick candidate issuers by subject name.
  const commonName = `snapshot-webhook CA ${new Date(context.now).toISOString()}`;
  const ca = await generateCertificateAuthority({ commonName, validityDays: context.lifetimes.caMs / DAY_MS });
  // As X509Certificate writes it, so that the bundle reads back exactly as written.
  const caPem = new X509Certificate(ca.cert).toString();
  const withCa: TlsMaterial = { ...material, caBundle: material.caBundle + caPem, caKey: ca.key, published: undefined };
  return withCertificate ? { ...withCa, ...(await issue(ca, context)) } : withCa;
}

function signingAuthority(state: TlsState): CertificateAuthority {
  const { signer, material } = state;
  if (signer === undefined) throw new WebhookError('CERTIFICATE_UNSETTLED', 'no signing CA: nextStep() issues a new CA first');
  return { cert: signer.toString(), key: material.caKey, notBefore: signer.validFromDate, notAfter: signer.validToDate };
}

async function issue(ca: CertificateAuthority, context: IssueContext): Promise<{ cert: string; key: string }> {
  // Never past the CA: only when the state was repaired late in the CA's life can this cut it short.
  const validityMs = Math.min(context.lifetimes.servingMs, ca.notAfter.getTime() - context.now);
  const serving = await generateServingCertificate(ca, {
    dnsNames: context.dnsNames,
    ipAddresses: [],
    validityDays: validityMs / DAY_MS,
  });
  return { cert: serving.cert, key: serving.key };
}
