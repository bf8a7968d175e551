/**
 * The real app for the fuzzers: app.inject() with bytes, a logger that keeps every error-level
 * line (a 5xx logs one), the process watched for uncaught exceptions and unhandled rejections,
 * and a tally of outcomes for the report.
 */
import { pino } from 'pino';
import type { AppOptions } from '../../../src/app.ts';
import { createTestApp, type TestApp } from '../../support/app.ts';
import type { Answer } from './answers.ts';

export interface FuzzHarness {
  readonly testApp: TestApp;
  /** Error-level log lines written by the app. */
  readonly errorLogs: string[];
  /** Uncaught exceptions and unhandled rejections seen while the harness was open. */
  readonly crashes: unknown[];
  readonly tally: Map<string, number>;
  send(request: FuzzRequest): Promise<Answer>;
  count(outcome: string): void;
  close(): Promise<void>;
}

export interface FuzzRequest {
  readonly method?: string;
  readonly url?: string;
  readonly contentType?: string | null;
  readonly body?: Buffer | string;
}

type InjectMethod = 'DELETE' | 'GET' | 'HEAD' | 'PATCH' | 'POST' | 'PUT' | 'OPTIONS';

export async function openHarness(overrides: Partial<AppOptions> = {}): Promise<FuzzHarness> {
  const errorLogs: string[] = [];
  const crashes: unknown[] = [];
  const tally = new Map<string, number>();
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLogs.push(line) });
  const testApp = await createTestApp({ logger, ...overrides });
  const onCrash = (error: unknown) => void crashes.push(error);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return {
    testApp,
    errorLogs,
    crashes,
    tally,
    async send(request) {
      const headers = request.contentType === null ? {} : { 'content-type': request.contentType ?? 'application/json' };
      const response = await testApp.app.inject({
        method: (request.method ?? 'POST') as InjectMethod,
        url: request.url ?? '/validate?timeout=3s',
        headers,
        ...(request.body === undefined ? {} : { payload: request.body }),
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    },
    count(outcome) {
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    },
    async close() {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await testApp.app.close();
    },
  };
}

/** The tally as one line, largest first: `allowed 812, denied 301, SVW_ERR_BODY_NOT_REVIEW 90`. */
export function describeTally(tally: ReadonlyMap<string, number>): string {
  return [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
}

/** What the server parses out of these bytes (secure-json-parse: BOM stripped, JSON.parse otherwise). */
export function parsedAsServer(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}
