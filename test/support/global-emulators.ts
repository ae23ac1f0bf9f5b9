/**
 * Vitest global setup: starts the AWS emulators once for the whole run (DynamoDB Local takes a
 * few seconds to boot) and hands their endpoints to test files through `inject('emulators')`.
 * Stops them when the run ends. If Java is missing, the run fails here with a clear message.
 */
import type { TestProject } from 'vitest/node';
import { type EmulatorEndpoints, startEmulators } from '../../adapters/aws/testing/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: EmulatorEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const running = await startEmulators();
  project.provide('emulators', running.endpoints);
  return () => running.stop();
}
