import { describe, expect, it } from 'vitest';
import { parseBackendConfig } from './backend-config.ts';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_DEAD_LETTER_SWEEP_MS,
  DEFAULT_HOSTNAME,
  DEFAULT_LMTP_PORT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_MX_PORT,
  DEFAULT_RULES_HOP_LIMIT,
} from './defaults.ts';
import { parseFrontendConfig } from './frontend-config.ts';
import { parseLocalClusterConfig } from './local-cluster-config.ts';
import { parseQueueConfig } from './queue-config.ts';
import { parseStorageConfig } from './storage-config.ts';

describe('shared defaults', () => {
  it('are the same in every role that reads the same variable', () => {
    const frontend = parseFrontendConfig({});
    const backend = parseBackendConfig({});
    const storage = parseStorageConfig({});
    const queue = parseQueueConfig({});
    expect([frontend.dataDir, backend.dataDir, storage.dataDir]).toEqual(Array(3).fill(DEFAULT_DATA_DIR));
    expect([frontend.hostname, backend.hostname]).toEqual([DEFAULT_HOSTNAME, DEFAULT_HOSTNAME]);
    expect([frontend.rulesHopLimit, backend.rulesHopLimit]).toEqual([
      DEFAULT_RULES_HOP_LIMIT,
      DEFAULT_RULES_HOP_LIMIT,
    ]);
    expect([storage.maxReceiveCount, queue.maxReceiveCount]).toEqual([
      DEFAULT_MAX_RECEIVE_COUNT,
      DEFAULT_MAX_RECEIVE_COUNT,
    ]);
    expect([frontend.maxQueued, storage.maxQueued]).toEqual([DEFAULT_MAX_QUEUED, DEFAULT_MAX_QUEUED]);
    // Backends submit generated mail to the frontends' MX port unless told otherwise.
    expect([frontend.mxPort, backend.generatedSmtpPort]).toEqual([DEFAULT_MX_PORT, DEFAULT_MX_PORT]);
    expect([backend.lmtpPort, parseLocalClusterConfig({}).lmtpBasePort]).toEqual([
      DEFAULT_LMTP_PORT,
      DEFAULT_LMTP_PORT,
    ]);
  });

  it('sweeps dead letters every 30 s unless STRATO_QUEUE_DEAD_LETTER_SWEEP_MS says otherwise', () => {
    expect(parseQueueConfig({}).deadLetterSweepMs).toBe(DEFAULT_DEAD_LETTER_SWEEP_MS);
    expect(DEFAULT_DEAD_LETTER_SWEEP_MS).toBe(30_000);
    expect(parseQueueConfig({ STRATO_QUEUE_DEAD_LETTER_SWEEP_MS: '200' }).deadLetterSweepMs).toBe(200);
    expect(() => parseQueueConfig({ STRATO_QUEUE_DEAD_LETTER_SWEEP_MS: '0' })).toThrow(/DEAD_LETTER_SWEEP/);
  });
});
