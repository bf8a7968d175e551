/** Per test file: whatever a test started and did not stop is killed when the file ends. */
import { afterAll } from 'vitest';
import { killRunningChildren } from './children.ts';

afterAll(killRunningChildren);
