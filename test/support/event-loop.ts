/**
 * Waits for `count` ticks of a `everyMs` interval timer. A test that starts something and then
 * awaits this shows the event loop kept running meanwhile: synchronous work that blocks the loop
 * (a sleep in SQLite's busy handler, say) holds the ticks back until it ends.
 */
export function timerTicks(count: number, everyMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let ticks = 0;
    const timer = setInterval(() => {
      if (++ticks === count) {
        clearInterval(timer);
        resolve();
      }
    }, everyMs);
  });
}
