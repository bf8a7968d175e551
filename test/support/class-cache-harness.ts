import { afterEach } from 'vitest';
import { startClassCaches } from '../../src/cluster/class-caches.ts';
import type { ClassCaches, ClassCachesOptions } from '../../src/cluster/class-caches.ts';
import type { GroupDefinition } from '../../testkit/fake-api-store.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import { RecordingLogger } from './recording-logger.ts';

/** A fake API server and the class caches watching it, with what they logged. */
export interface CacheHarness {
  readonly server: FakeApiServer;
  readonly caches: ClassCaches;
  readonly logger: RecordingLogger;
  /** Stops the caches, then the server. */
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<ClassCachesOptions, 'kubeConfig' | 'logger'>> & {
  /** Called with the server before the caches start, e.g. to create objects they list first. */
  readonly before?: (server: FakeApiServer) => Promise<void> | void;
};

export async function startCacheHarness(groups: readonly GroupDefinition[], options: HarnessOptions = {}): Promise<CacheHarness> {
  const server = await FakeApiServer.start({ groups });
  await options.before?.(server);
  const logger = new RecordingLogger();
  const caches = startClassCaches({ ...options, kubeConfig: server.kubeConfig(), logger });
  return {
    server,
    caches,
    logger,
    close: async () => {
      await caches.stop();
      await server.close();
    },
  };
}

/**
 * For a test file: a start function whose harness is closed after each test (call it at the top
 * level or in a describe, where afterEach may be registered).
 */
export function cacheHarnessPerTest(): (groups: readonly GroupDefinition[], options?: HarnessOptions) => Promise<CacheHarness> {
  let harness: CacheHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  return async (groups, options = {}) => {
    harness = await startCacheHarness(groups, options);
    return harness;
  };
}

/** Watch requests the server received for a collection path, oldest first. */
export function watchRequests(server: FakeApiServer, path: string): FakeApiServer['requests'] {
  return server.requestsTo(path).filter((request) => request.query.watch === 'true');
}

/** LIST requests the server received for a collection path. */
export function listRequests(server: FakeApiServer, path: string): FakeApiServer['requests'] {
  return server.requestsTo(path).filter((request) => request.query.watch === undefined);
}
