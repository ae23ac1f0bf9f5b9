import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startHealthServer } from './health-server.ts';

describe('frontend health endpoint', () => {
  let healthy = true;
  const started = startHealthServer(0, '127.0.0.1', () => healthy);
  afterAll(async () => {
    const server = await started;
    await new Promise((r) => server.close(r));
  });
  const url = async (path: string) =>
    `http://127.0.0.1:${((await started).address() as AddressInfo).port}${path}`;

  it('answers 200 while serving and 503 once stopping; other paths 404', async () => {
    expect((await fetch(await url('/health'))).status).toBe(200);
    expect((await fetch(await url('/other'))).status).toBe(404);
    healthy = false;
    const res = await fetch(await url('/health'));
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('stopping\n');
  });
});
