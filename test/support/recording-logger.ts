import type { LogFn, Logger } from '../../src/observability/logger.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: object;
}

/** A Logger that keeps what it is told, for assertions on what was logged and how often. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  readonly error = this.#recorder('error');
  readonly warn = this.#recorder('warn');
  readonly info = this.#recorder('info');
  readonly debug = this.#recorder('debug');

  /** Entries of a level whose message contains the text. */
  find(level: LogLevel, text: string): LogEntry[] {
    return this.entries.filter((entry) => entry.level === level && entry.message.includes(text));
  }

  #recorder(level: LogLevel): LogFn {
    return (fieldsOrMessage: object | string, message?: string): void => {
      const entry =
        typeof fieldsOrMessage === 'string'
          ? { level, message: fieldsOrMessage, fields: {} }
          : { level, message: message ?? '', fields: fieldsOrMessage };
      this.entries.push(entry);
    };
  }
}
