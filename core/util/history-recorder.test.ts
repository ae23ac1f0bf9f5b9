import { describe, expect, it, vi } from 'vitest';
import type { LogFields, Logger } from '../ports/logger.ts';
import type { HistoryEvent, MessageHistory } from '../ports/message-history.ts';
import { HistoryRecorder } from './history-recorder.ts';

class MemoryHistory implements MessageHistory {
  batches: HistoryEvent[][] = [];
  fail = false;
  async append(events: readonly HistoryEvent[]) {
    if (this.fail) throw new Error('table gone');
    this.batches.push([...events]);
  }
  async story() {
    return [];
  }
  async queueIdsByMessageId() {
    return [];
  }
  async queueIdsByAddress() {
    return [];
  }
}

function memoryLogger(lines: LogFields[]): Logger {
  const log = (f: LogFields) => void lines.push(f);
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

const actor = { role: 'backend', id: 'b1' } as const;
const clock = { now: () => 1000 };
const done = { kind: 'done', attempts: 1 } as const;

describe('HistoryRecorder', () => {
  it('stamps time and actor and writes in batches on flush', async () => {
    const history = new MemoryHistory();
    const rec = new HistoryRecorder(history, actor, clock, memoryLogger([]), { batchSize: 2 });
    for (const id of ['A', 'B', 'C']) rec.record(id, done);
    await rec.flush();
    expect(history.batches.map((b) => b.map((e) => e.queueId))).toEqual([['A', 'B'], ['C']]);
    expect(history.batches[0]![0]).toEqual({ ...done, queueId: 'A', at: 1000, by: actor });
  });

  it('writes by itself shortly after a record', async () => {
    const history = new MemoryHistory();
    const rec = new HistoryRecorder(history, actor, clock, memoryLogger([]), { delayMs: 5 });
    rec.record('A', done);
    const deadline = Date.now() + 5000;
    while (history.batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(history.batches).toHaveLength(1);
  });

  it('waits as long as the store asks (batchDelayMs) for events to share a write', async () => {
    vi.useFakeTimers();
    try {
      const history = Object.assign(new MemoryHistory(), { batchDelayMs: 1000 });
      const rec = new HistoryRecorder(history, actor, clock, memoryLogger([]));
      rec.record('A', done);
      await vi.advanceTimersByTimeAsync(999);
      rec.record('B', done);
      expect(history.batches).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(history.batches.map((b) => b.map((e) => e.queueId))).toEqual([['A', 'B']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs a failed write and carries on; a full buffer drops and counts', async () => {
    const history = new MemoryHistory();
    const lines: LogFields[] = [];
    const rec = new HistoryRecorder(history, actor, clock, memoryLogger(lines), { maxBuffered: 2 });
    history.fail = true;
    for (const id of ['A', 'B', 'C']) rec.record(id, done);
    await expect(rec.flush()).resolves.toBeUndefined();
    expect(lines.map((l) => l.event)).toEqual(['history.dropped', 'history.write_failed']);
    expect(lines[0]).toMatchObject({ events: 1 });
    history.fail = false;
    rec.record('D', done);
    await rec.close();
    expect(history.batches.flat().map((e) => e.queueId)).toEqual(['D']);
  });
});
