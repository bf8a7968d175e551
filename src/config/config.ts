import { WebhookError } from '../errors.ts';
import { describeSchemaErrors, loadSchemas } from '../schemas.ts';

/**
 * Flags and environment variables → validated options. The JSON Schema in
 * schemas/config.schema.json is the one list of settings: flags, variables, defaults and --help
 * all come from it, so they cannot drift apart.
 */
export interface WebhookConfig {
  readonly port: number;
  readonly metricsPort: number;
  readonly bindAddress: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  readonly selfSignedCaFile: string;
  readonly tlsSecret: string;
  readonly webhookConfiguration: string;
  readonly service: string;
  readonly kubeconfig: string;
  readonly preventVolumeModeConversion: boolean;
  readonly drainSeconds: number;
  readonly keepAliveTimeoutSeconds: number;
  /** Always set by loadConfig; optional for configurations written out in code (then 30 s). */
  readonly requestTimeoutSeconds?: number;
  /** Always set by loadConfig; optional for configurations written out in code (then never). */
  readonly maxConnectionAgeSeconds?: number;
  readonly bodyLimitBytes: number;
  readonly maxJsonValues: number;
  readonly maxConcurrentStreams: number;
  readonly maxConnections: number;
  readonly discoveryIntervalSeconds: number;
  readonly lookupTimeoutSeconds: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const ENV_PREFIX = 'SNAPSHOT_WEBHOOK_';

export interface Setting {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly type: 'integer' | 'number' | 'boolean' | 'string';
  readonly description: string;
  readonly defaultValue: unknown;
}

interface PropertySchema {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
}

export function settings(): Setting[] {
  const schema = loadSchemas().schema('config.schema.json') as { properties: Record<string, PropertySchema> };
  return Object.entries(schema.properties).map(([key, property]) => ({
    key,
    flag: `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`,
    env: ENV_PREFIX + key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase(),
    type: (property.type ?? 'string') as Setting['type'],
    description: property.description ?? '',
    defaultValue: property.default,
  }));
}

interface RawValue {
  readonly text: string;
  /** The flag or variable it came from, to name it in an error. */
  readonly origin: string;
}

/** Reads flags (`--name value`, `--name=value`, bare `--name` for booleans) over variables. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WebhookConfig {
  const known = settings();
  const raw = rawValues(argv, env, known);
  const values: Record<string, unknown> = {};
  for (const setting of known) {
    const value = raw.get(setting.key);
    values[setting.key] = value === undefined ? setting.defaultValue : coerce(setting, value);
  }
  const validate = loadSchemas().validator('config.schema.json');
  if (!validate(values)) {
    const first = validate.errors?.[0];
    const key = first?.instancePath.slice(1) ?? '';
    const origin = raw.get(key)?.origin ?? key;
    const message = describeSchemaErrors(validate.errors?.slice(0, 1), '').replace(/^[^:]*:/, `${origin}:`);
    throw new WebhookError('CONFIG_INVALID', `${message} (got ${JSON.stringify(values[key])})`);
  }
  return values as unknown as WebhookConfig;
}

function rawValues(argv: readonly string[], env: NodeJS.ProcessEnv, known: readonly Setting[]): Map<string, RawValue> {
  const raw = new Map<string, RawValue>();
  for (const setting of known) {
    const text = env[setting.env];
    if (text !== undefined) raw.set(setting.key, { text, origin: setting.env });
  }
  for (const [setting, value] of parseFlags(argv, known)) raw.set(setting.key, value);
  return raw;
}

function parseFlags(argv: readonly string[], known: readonly Setting[]): Array<[Setting, RawValue]> {
  const byFlag = new Map(known.map((setting) => [setting.flag, setting]));
  const parsed: Array<[Setting, RawValue]> = [];
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index] ?? '';
    const [flag = '', inline] = token.split(/=(.*)/s, 2);
    const setting = byFlag.get(flag);
    if (setting === undefined) {
      const what = token.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument ${JSON.stringify(token)}`;
      throw new WebhookError('CONFIG_INVALID', `${what} (see --help)`);
    }
    let text = inline;
    if (text === undefined && setting.type === 'boolean') text = 'true';
    if (text === undefined) {
      index += 1;
      text = argv[index];
      if (text === undefined) throw new WebhookError('CONFIG_INVALID', `${flag} needs a value`);
    }
    parsed.push([setting, { text, origin: flag }]);
  }
  return parsed;
}

function coerce(setting: Setting, value: RawValue): unknown {
  const text = value.text.trim();
  if (setting.type === 'string') return value.text;
  if (setting.type === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new WebhookError('CONFIG_INVALID', `${value.origin}: must be true or false (got ${JSON.stringify(value.text)})`);
  }
  const number = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(number)) {
    throw new WebhookError('CONFIG_INVALID', `${value.origin}: must be a number (got ${JSON.stringify(value.text)})`);
  }
  return number;
}

export function helpText(command: string): string {
  const lines = settings().map((setting) => {
    const fallback = setting.defaultValue === '' ? '' : ` (default ${JSON.stringify(setting.defaultValue)})`;
    return `  ${setting.flag}\n      ${setting.description}${fallback}\n      env: ${setting.env}`;
  });
  return [`Usage: ${command} [flags]`, '', 'Flags:', ...lines, '  --help', '      print this help', ''].join('\n');
}
