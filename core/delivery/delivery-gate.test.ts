import { describe, expect, it } from 'vitest';
import { DeliveryGate } from './delivery-gate.ts';

describe('delivery gate', () => {
  it('lets nothing new in once closed, and drains when the deliveries inside leave', async () => {
    const gate = new DeliveryGate();
    expect(gate.enter()).toBe(true);
    expect(gate.enter()).toBe(true);
    let drained: boolean | undefined;
    const closing = gate.close(60_000).then((d) => {
      drained = d;
    });
    expect(gate.closed).toBe(true);
    expect(gate.enter()).toBe(false);
    gate.leave();
    await Promise.resolve();
    expect(drained).toBeUndefined();
    gate.leave();
    await closing;
    expect(drained).toBe(true);
    expect(gate.inFlight).toBe(0);
  });

  it('gives up waiting at the deadline when a delivery hangs', async () => {
    const gate = new DeliveryGate();
    gate.enter();
    expect(await gate.close(20)).toBe(false);
    expect(gate.inFlight).toBe(1);
  });

  it('closes at once when nothing is inside', async () => {
    expect(await new DeliveryGate().close(60_000)).toBe(true);
  });
});
