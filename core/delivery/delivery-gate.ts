/**
 * The backend's door for deliveries during a graceful stop: while open, each delivery enters and
 * leaves; once closed, nothing new enters (the caller answers "backend stopping", a temporary
 * outcome the queue retries within seconds) and `drained()` resolves when the deliveries already
 * inside are done, or after a deadline (a hung delivery must not keep the leases from being
 * handed over forever; its late writes are fenced by the lease epoch).
 */
export class DeliveryGate {
  private inside = 0;
  private open = true;
  private waiters: (() => void)[] = [];

  /** True (and counted) when the delivery may run; false once the gate is closed. */
  enter(): boolean {
    if (!this.open) return false;
    this.inside++;
    return true;
  }

  leave(): void {
    this.inside = Math.max(0, this.inside - 1);
    if (this.inside === 0) for (const w of this.waiters.splice(0)) w();
  }

  get closed(): boolean {
    return !this.open;
  }

  get inFlight(): number {
    return this.inside;
  }

  /** Close the gate; resolves true once every delivery inside has left, false at the deadline. */
  async close(deadlineMs: number): Promise<boolean> {
    this.open = false;
    if (this.inside === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const result = await Promise.race([done, late]);
    clearTimeout(timer);
    return result;
  }
}
