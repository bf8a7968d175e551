import { describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, EXISTING_SECRET_VALUES, FULLNAME, NAMESPACE, helmTemplate, type Values } from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { Certificate, Issuer } from './k8s-types.ts';

const CERT_MANAGER_KINDS = ['Certificate', 'Issuer', 'ClusterIssuer'];

describe('certificates.mode', () => {
  const matrix: Record<string, Values> = {
    selfManaged: {},
    certManager: CERT_MANAGER_VALUES,
    namedIssuer: {
      certificates: { mode: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' }, secretName: 'hook-tls' } },
    },
    existingSecret: EXISTING_SECRET_VALUES,
  };
  const get = renderMatrix(matrix);

  it('selfManaged (the default) renders no certificate material at all', () => {
    const rendered = get('selfManaged');
    expect(rendered.all('Secret')).toEqual([]);
    expect(rendered.objects.filter((object) => CERT_MANAGER_KINDS.includes(object.kind))).toEqual([]);
    expect(rendered.text).not.toMatch(/BEGIN (CERTIFICATE|.*PRIVATE KEY)|caBundle:|tls\.(crt|key):/);
  });

  it('certManager without an issuer: self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate', () => {
    const rendered = get('certManager');
    const serving = rendered.one<Certificate>('Certificate', FULLNAME);
    const caIssuer = rendered.one<Issuer>('Issuer', serving.spec.issuerRef.name);
    expect(serving.spec.issuerRef).toEqual({ name: caIssuer.metadata.name, kind: 'Issuer', group: 'cert-manager.io' });
    const ca = rendered.all<Certificate>('Certificate').find((certificate) => certificate.spec.isCA === true);
    expect(caIssuer.spec.ca?.secretName).toBe(ca?.spec.secretName);
    const selfSigned = rendered.one<Issuer>('Issuer', ca?.spec.issuerRef.name);
    expect(selfSigned.spec.selfSigned).toEqual({});
    expect(rendered.all('Certificate')).toHaveLength(2);
    expect(rendered.all('Issuer')).toHaveLength(2);
    for (const object of [...rendered.all('Certificate'), ...rendered.all('Issuer')]) expect(object.metadata.namespace).toBe(NAMESPACE);
  });

  it('certManager: the serving certificate is for the Service DNS names and lands in the mounted Secret', () => {
    const rendered = get('certManager');
    const serving = rendered.one<Certificate>('Certificate', FULLNAME);
    const service = rendered.service.metadata.name;
    expect(serving.spec.dnsNames).toEqual([`${service}.${NAMESPACE}.svc`, `${service}.${NAMESPACE}.svc.cluster.local`]);
    expect(serving.spec.usages).toContain('server auth');
    const volume = rendered.deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === 'tls');
    expect(volume?.secret?.secretName).toBe(serving.spec.secretName);
  });

  it('certManager with a named issuer: uses it and creates no Issuer', () => {
    const rendered = get('namedIssuer');
    expect(rendered.all('Issuer')).toEqual([]);
    const serving = rendered.one<Certificate>('Certificate');
    expect(serving.spec.issuerRef).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(serving.spec.secretName).toBe('hook-tls');
    expect(rendered.deployment.spec.template.spec.volumes?.find((volume) => volume.name === 'tls')?.secret?.secretName).toBe('hook-tls');
  });

  it('existingSecret: renders no Secret and no cert-manager objects, only the caBundle it was given', () => {
    const rendered = get('existingSecret');
    expect(rendered.all('Secret')).toEqual([]);
    expect(rendered.objects.filter((object) => CERT_MANAGER_KINDS.includes(object.kind))).toEqual([]);
  });

  it('existingSecret: refuses a caBundle that is base64 but not a PEM certificate', async () => {
    const result = await helmTemplate({
      certificates: {
        mode: 'existingSecret',
        existingSecret: { name: 'tls', caBundle: Buffer.from('not a certificate').toString('base64') },
      },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('certificates.existingSecret.caBundle must be the base64 encoding of a PEM certificate');
  });
});
