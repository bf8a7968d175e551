import { afterAll, describe, expect, it } from 'vitest';
import { getFromApi } from '../../src/cluster/api-request.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';

const api = await FakeApiServer.start();
afterAll(() => api.close());

describe('requests to the API server', () => {
  it('share one connection pool per kubeconfig: sequential requests reuse one TLS connection', async () => {
    const kubeConfig = api.kubeConfig();
    const before = api.connectionsAccepted;
    const opened: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      expect((await getFromApi(kubeConfig, '/apis', { timeoutMs: 5000 })).status).toBe(200);
      opened.push(api.connectionsAccepted - before);
    }
    // Without the shared pool: 1, 2, 3 … 20. With it, the count stops after the first requests.
    expect(opened.at(-1)).toBeLessThanOrEqual(2);
    expect(opened.at(-1)).toBe(opened[4]);
    // Another kubeconfig (another identity, perhaps) gets its own pool.
    const ownPool = api.connectionsAccepted;
    await getFromApi(api.kubeConfig(), '/apis', { timeoutMs: 5000 });
    expect(api.connectionsAccepted).toBe(ownPool + 1);
  });
});
