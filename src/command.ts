/** The program, once main.ts has checked the Node version: pick the command, run it, turn its outcome into an exit code. */
import { readFileSync } from 'node:fs';
import { helpText, loadConfig } from './config/config.ts';
import { userDirectory, type Command } from './cli/io.ts';
import { WebhookError } from './errors.ts';

const NAME = 'snapshot-webhook';

const USAGE = `${NAME}: validating admission webhook for CSI volume snapshots

Commands:
  ${NAME} [serve] [flags]   serve AdmissionReviews over HTTPS (the default)
  ${NAME} validate PATH…    check manifests before they reach a cluster (--help for more)
  ${NAME} audit             report what is already wrong in a live cluster (--help for more)
  ${NAME} check             check that the API server calls the webhook and hears it (--help for more)
  ${NAME} --version         print the version

`;

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function runServe(args: readonly string[]): Promise<number> {
  const config = loadConfig(args, process.env);
  // Loaded once the flags are known to be good: --help and a refused flag need no server modules.
  const { createLogger, serve } = await import('./serve.ts');
  const logger = createLogger(config);
  const running = await serve(config, logger);
  const stop = (signal: string) => {
    logger.info({ signal }, 'signal received');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

/** Loaded on demand: the server need not carry the CLI's modules (YAML parsing, reports). */
const CLI_COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import('./cli/validate/validate.ts')).runValidate,
  audit: async () => (await import('./cli/audit/audit.ts')).runAudit,
  check: async () => (await import('./cli/check/check.ts')).runCheck,
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const serveArgs = command === 'serve' ? rest : argv;
  const cliCommand = command !== undefined && Object.hasOwn(CLI_COMMANDS, command) ? CLI_COMMANDS[command] : undefined;
  const isServe = cliCommand === undefined;
  if (isServe && (serveArgs.includes('--help') || serveArgs.includes('-h'))) {
    process.stdout.write(USAGE + helpText(`${NAME} serve`));
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (cliCommand !== undefined) {
    const io = {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      cwd: userDirectory(process.env, process.cwd()),
    };
    return (await cliCommand())(rest, io);
  }
  return runServe(serveArgs);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof WebhookError) {
      process.stderr.write(`${NAME}: ${error.code}: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
