import type { Readable } from 'node:stream';

/** What a command reads and writes: the process's streams in main, buffers in tests. */
export interface CommandIO {
  readonly stdin: Readable;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** A command's outcome is its exit code; it never calls process.exit itself. */
export type Command = (args: readonly string[], io: CommandIO) => Promise<number>;

/**
 * Where the user typed the command. npm runs scripts from the package root and says in INIT_CWD
 * where it was called from, so `npm start -- validate deploy/` means the user's deploy/.
 */
export function userDirectory(env: NodeJS.ProcessEnv, cwd: string): string {
  const initial = env.INIT_CWD;
  return env.npm_lifecycle_event !== undefined && initial !== undefined && initial !== '' ? initial : cwd;
}
