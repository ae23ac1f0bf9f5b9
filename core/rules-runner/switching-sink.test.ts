/** The switching sink follows the current mode per submission and falls back to the default. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { GeneratedMailSink, GeneratedSubmission } from './generated-mail-sink.ts';
import { type SinkMode, SwitchingSink } from './switching-sink.ts';

function recorder(mode: SinkMode, seen: string[]): GeneratedMailSink {
  return { mode, submit: async (m) => void seen.push(`${mode}:${m.id}`) };
}

const message = (id: string): GeneratedSubmission => ({
  id,
  mailFrom: '',
  recipients: ['a@example.com'],
  openBody: async () => Readable.from(['x']),
});

describe('SwitchingSink', () => {
  it('hands each message to the sink of the mode read for it, making the SMTP sink once', async () => {
    const seen: string[] = [];
    let mode: SinkMode | Error = 'queue';
    let made = 0;
    const sink = new SwitchingSink({
      currentMode: async () => {
        if (mode instanceof Error) throw mode;
        return mode;
      },
      defaultMode: 'queue',
      queue: recorder('queue', seen),
      makeSmtp: () => {
        made++;
        return recorder('smtp', seen);
      },
    });
    await sink.submit(message('1'));
    expect(sink.mode).toBe('queue');
    mode = 'smtp';
    await sink.submit(message('2'));
    await sink.submit(message('3'));
    expect(sink.mode).toBe('smtp');
    mode = new Error('storage down');
    await sink.submit(message('4'));
    expect(seen).toEqual(['queue:1', 'smtp:2', 'smtp:3', 'queue:4']);
    expect(made).toBe(1);
  });
});
