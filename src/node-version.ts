/**
 * The Node version check. It runs before anything else is loaded, so it must stay plain: no
 * imports, nothing an old Node cannot parse.
 */
export const REQUIRED_NODE = { major: 24, minor: 9 } as const;

/** Why this Node cannot run the program, as one line; undefined when it can. */
export function nodeVersionProblem(version: string, execPath: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > REQUIRED_NODE.major || (major === REQUIRED_NODE.major && minor >= REQUIRED_NODE.minor)) return undefined;
  return (
    `needs Node.js ${REQUIRED_NODE.major}.${REQUIRED_NODE.minor} or newer, but ${execPath} is ${version}: ` +
    `run it with Node ${REQUIRED_NODE.major} (npm ci puts one in node_modules/.bin, which npm start uses)`
  );
}
