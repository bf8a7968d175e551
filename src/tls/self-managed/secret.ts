/**
 * The Secret of the self-managed certificates: its layout, and what its contents are worth.
 *
 * type kubernetes.io/tls, data:
 *   tls.crt, tls.key  the serving certificate and its key: what every replica serves.
 *   ca.crt            the trust bundle: every CA still valid, PEM concatenated, oldest first. It
 *                     is what goes into each webhook's caBundle, and what `helm test` trusts.
 *   ca.key            the key of the newest CA: the one that signs the next serving certificate.
 * annotations (state the certificates cannot carry; the fingerprints are for people):
 *   snapshot-webhook.io/signing-ca                SHA-256 fingerprint of the CA of ca.key.
 *   snapshot-webhook.io/signing-ca-published-at   when a replica saw ca.crt, with that CA, in
 *                                                 every webhook's caBundle; absent: not yet.
 *   snapshot-webhook.io/serving-ca                fingerprint of the CA that signed tls.crt.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { loadServingCertificate } from '../certificate.ts';
import type { ServingCertificate } from '../certificate.ts';
import { isObject } from './api.ts';
import type { JsonObject, ObjectName } from './api.ts';
import { describeError } from '../../errors.ts';

export const SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', caBundle: 'ca.crt', caKey: 'ca.key' } as const;

export const ANNOTATIONS = {
  signingCa: 'snapshot-webhook.io/signing-ca',
  signingCaPublishedAt: 'snapshot-webhook.io/signing-ca-published-at',
  servingCa: 'snapshot-webhook.io/serving-ca',
} as const;

/** The contents of the Secret, PEM text as stored (possibly broken: see assessMaterial). */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly caBundle: string;
  readonly caKey: string;
  /** When the CA with that fingerprint was seen in every caBundle; it counts only for the signing CA. */
  readonly published: { readonly signingCa: string; readonly at: Date } | undefined;
}

export const EMPTY_MATERIAL: TlsMaterial = { cert: '', key: '', caBundle: '', caKey: '', published: undefined };

export interface StoredSecret {
  readonly material: TlsMaterial;
  readonly resourceVersion: string;
}

/** What the material is worth now. */
export interface TlsState {
  readonly material: TlsMaterial;
  /** The CAs of ca.crt that are still valid, oldest first. */
  readonly authorities: readonly X509Certificate[];
  /** ca.crt as it should be: the PEM of those CAs. */
  readonly bundlePem: string;
  /** The CA whose key is ca.key, if it is one of them. */
  readonly signer: X509Certificate | undefined;
  /** When the signer was seen in every caBundle; undefined: not yet, or not known. */
  readonly signerPublishedAt: Date | undefined;
  /** The serving certificate if it can be served; leafProblem says why not otherwise. */
  readonly leaf: ServingCertificate | undefined;
  readonly leafProblem: string | undefined;
  /** Which of the authorities signed the leaf (defined whenever leaf is). */
  readonly leafIssuer: X509Certificate | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

export function readSecret(object: JsonObject): StoredSecret {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const data = isObject(object.data) ? object.data : {};
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const text = (key: string): string => {
    const value = data[key];
    return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
  };
  return {
    material: {
      cert: text(SECRET_KEYS.cert),
      key: text(SECRET_KEYS.key),
      caBundle: text(SECRET_KEYS.caBundle),
      caKey: text(SECRET_KEYS.caKey),
      published: publishedOf(annotations),
    },
    resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '',
  };
}

function publishedOf(annotations: JsonObject): TlsMaterial['published'] {
  const signingCa = annotations[ANNOTATIONS.signingCa];
  const at = new Date(String(annotations[ANNOTATIONS.signingCaPublishedAt]));
  return typeof signingCa === 'string' && !Number.isNaN(at.getTime()) ? { signingCa, at } : undefined;
}

/** The Secret to POST (no resourceVersion) or PUT (the resourceVersion it replaces). */
export function secretObject(ref: ObjectName, state: TlsState, resourceVersion?: string): JsonObject {
  const { material } = state;
  const signingCa = state.signer?.fingerprint256 ?? '';
  const annotations: Record<string, string> = {
    [ANNOTATIONS.signingCa]: signingCa,
    [ANNOTATIONS.servingCa]: state.leafIssuer?.fingerprint256 ?? '',
  };
  if (state.signerPublishedAt !== undefined) {
    annotations[ANNOTATIONS.signingCaPublishedAt] = state.signerPublishedAt.toISOString();
  }
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'snapshot-webhook' },
      annotations,
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    type: 'kubernetes.io/tls',
    data: {
      [SECRET_KEYS.cert]: base64(material.cert),
      [SECRET_KEYS.key]: base64(material.key),
      [SECRET_KEYS.caBundle]: base64(material.caBundle),
      [SECRET_KEYS.caKey]: base64(material.caKey),
    },
  };
}

/**
 * Parses and checks everything: which CAs are still valid, whether ca.key belongs to one of
 * them, whether the serving certificate can be served (valid, for all of `dnsNames`, signed by
 * one of them). Never throws: what is wrong shows as missing parts.
 */
export function assessMaterial(material: TlsMaterial, dnsNames: readonly string[], now: number): TlsState {
  const authorities = validAuthorities(material.caBundle, now);
  const signer = signerOf(authorities, material.caKey);
  const { leaf, problem, issuer } = checkLeaf(material, dnsNames, authorities);
  const published = material.published;
  return {
    material,
    authorities,
    bundlePem: authorities.map((authority) => authority.toString()).join(''),
    signer,
    signerPublishedAt: published !== undefined && published.signingCa === signer?.fingerprint256 ? published.at : undefined,
    leaf,
    leafProblem: problem,
    leafIssuer: issuer,
  };
}

function validAuthorities(bundle: string, now: number): X509Certificate[] {
  const blocks = bundle.match(PEM_CERTIFICATE) ?? [];
  return blocks.map(parseCertificate).filter((certificate): certificate is X509Certificate => {
    return certificate !== undefined && certificate.ca && certificate.validToDate.getTime() > now;
  });
}

function signerOf(authorities: readonly X509Certificate[], caKey: string): X509Certificate | undefined {
  const key = parseKey(caKey);
  return key === undefined ? undefined : authorities.find((authority) => authority.checkPrivateKey(key));
}

interface LeafCheck {
  readonly leaf?: ServingCertificate;
  readonly problem?: string;
  readonly issuer?: X509Certificate;
}

function checkLeaf(material: TlsMaterial, dnsNames: readonly string[], authorities: readonly X509Certificate[]): LeafCheck {
  if (material.cert === '' && material.key === '') return { problem: 'there is no serving certificate' };
  let leaf: ServingCertificate;
  try {
    leaf = loadServingCertificate(material.cert, material.key, { certificate: SECRET_KEYS.cert, key: SECRET_KEYS.key });
  } catch (error) {
    return { problem: describeError(error) };
  }
  const missing = dnsNames.filter((name) => !leaf.dnsNames.includes(name));
  if (missing.length > 0) return { problem: `${SECRET_KEYS.cert} is not valid for ${missing.join(', ')}` };
  const certificate = parseCertificate((material.cert.match(PEM_CERTIFICATE) ?? [])[0] ?? '');
  const issuer = authorities.find((authority) => certificate?.checkIssued(authority) && certificate.verify(authority.publicKey));
  if (issuer === undefined) return { problem: `no valid CA of ${SECRET_KEYS.caBundle} signed ${SECRET_KEYS.cert}` };
  return { leaf, issuer };
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function parseKey(pem: string): KeyObject | undefined {
  try {
    return pem === '' ? undefined : createPrivateKey(pem);
  } catch {
    return undefined;
  }
}
