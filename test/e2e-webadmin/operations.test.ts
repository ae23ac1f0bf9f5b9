/**
 * The WebAdmin's operations pages in headless Chromium against a running local cluster (two
 * frontend workers, one backend, the admin process): (a) in Cluster → General's Queue Processing
 * panel queue processing is switched off for one frontend (only the other one named) — that one
 * logs it stops, mail sent over SMTP is still delivered and only the other frontend processes it
 * —, then on again for all; the time from Save to the frontend's `queue.processing_disabled` line
 * is printed (no assertion: it depends on the machine). (b) A domain hold added on the Queue page
 * parks a new message (shown held), Release delivers it, and its Trace page says done.
 * Skipped when no Chromium is installed.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { FrontendInfo } from '../../core/ports/cluster-control.ts';
import { CHROMIUM_MISSING, chromiumPath, launchBrowser, newPage, screenshot } from '../support/browser.ts';
import { eventually, type LogLine, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  DEMO,
  FAST_DELIVERY_ENV,
  readInbox,
  sendStream,
  waitQueueDrained,
} from '../support/delivery.ts';

const skip = chromiumPath() === undefined;
if (skip) console.warn(CHROMIUM_MISSING);

const TIMEOUT = 240_000;
let cluster: RunningProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;

async function liveFrontends(dataDir: string): Promise<FrontendInfo[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return await storage.control.listLiveFrontends();
  } finally {
    await storage.close();
  }
}

const logTime = (l: LogLine): number =>
  typeof l.time === 'number' ? l.time : typeof l.time === 'string' ? Date.parse(l.time) : Date.now();

/** A predicate for log lines that arrive after this call. */
function fresh(c: RunningProcess, match: (l: LogLine) => boolean): (l: LogLine) => boolean {
  const before = new Set(c.logs);
  return (l) => !before.has(l) && match(l);
}

beforeAll(async () => {
  if (skip) return;
  cluster = await startProcess({
    entry: 'cluster',
    admin: true,
    timeoutMs: 60_000,
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_QUEUE_CONTROL_MS: '200',
      // A NEW hold reaches a processor only once its cached directives expire (5 s by default), and
      // this test sends the held mail right after adding the hold: read them uncached. (A released
      // hold needs no such care: a cached directive is confirmed before a job is parked.)
      STRATO_QUEUE_HOLDS_CACHE_MS: '0',
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_BACKENDS: '1',
    },
  });
  base = `https://127.0.0.1:${cluster.ports.admin}`;
  const creds = /name: (\S+) {2}password: (\S+)/.exec(cluster.output());
  if (!creds) throw new Error(`no first administrator in the banner:\n${cluster.output()}`);
  browser = await launchBrowser();
  page = await newPage(browser);
  page.on('dialog', (d) => void d.accept());
  // The admin worker may still be settling on a busy machine: retry the first request.
  await eventually(
    async () => ((await page.goto(`${base}/login`))?.ok() ? true : undefined),
    30_000,
    'the sign-in page',
  );
  await page.fill('#f-name', creds[1]!);
  await page.fill('#f-password', creds[2]!);
  await Promise.all([page.waitForURL(/\/audit$/), page.click('form.login button[type=submit]')]);
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

describe.skipIf(skip)('WebAdmin operations', () => {
  it(
    'switches queue processing off for one frontend in the Queue Processing panel and on again',
    async () => {
      const c = cluster!;
      const frontends = await eventually(
        async () => {
          const live = await liveFrontends(c.dataDir);
          return live.length === 2 && live.every((f) => f.processing) ? live : undefined;
        },
        30_000,
        'two live frontends processing the queue',
      );
      const [off, on] = frontends.map((f) => f.id) as [string, string];

      await page.goto(`${base}/cluster/general`);
      expect(await page.locator('h2#qp').textContent()).toBe('Queue Processing');
      await screenshot(page, 'cluster-general');
      await page.check('input[name=processingMode][value=named]');
      await page.check(`input[name="fe:${on}"]`);
      await page.uncheck(`input[name="fe:${off}"]`);
      const disabled = fresh(c, (l) => l.event === 'queue.processing_disabled' && l.frontendId === off);
      const saved = Date.now();
      await Promise.all([
        page.waitForURL(`${base}/cluster/general`),
        page.click('section[aria-labelledby=qp] button[type=submit]'),
      ]);
      expect(await page.locator('.flash').textContent()).toContain('Queue processing saved');
      const line = await c.waitForLog(disabled, 30_000);
      const tookMs = Math.max(0, logTime(line) - saved);
      console.log(
        `queue-processing switch took effect in ${tookMs} ms (Save to ${off} queue.processing_disabled)`,
      );

      // The page's script refreshes the frontends table from the API until it shows the change.
      // No reload: only the script can change the table.
      await eventually(
        async () => {
          const refreshed = await page.getAttribute('#frontends-live', 'data-refreshed');
          const text = await page.locator(`#frontends-live tr[data-id="${off}"] .processing`).textContent();
          return refreshed && text === 'no' ? true : undefined;
        },
        30_000,
        `the live table showing ${off} not processing`,
      );
      expect(await page.locator(`input[name="fe:${on}"]`).isChecked()).toBe(true);
      expect(await page.locator(`input[name="fe:${off}"]`).isChecked()).toBe(false);

      // Mail still flows, through the other frontend only.
      const mark = c.logs.length;
      const sent = await sendStream(
        c.ports.mx,
        Array.from({ length: 6 }, (_, i) => ({ token: `webadmin-switch-${i}`, to: [ALICE] })),
        { connections: 2 },
      );
      expect(sent.every((s) => s.status === 'accepted')).toBe(true);
      await waitQueueDrained(c.dataDir, 60_000);
      const subjects = (await readInbox(c.dataDir, ALICE)).map((m) => m.subject);
      for (const s of sent) expect(subjects).toContain(s.token);
      const done = c.logs.slice(mark).filter((l) => l.event === 'queue.done');
      expect(done.length).toBeGreaterThanOrEqual(sent.length);
      expect(new Set(done.map((l) => l.frontendId))).toEqual(new Set([on]));

      await page.goto(`${base}/cluster/nodes`);
      await screenshot(page, 'frontends');

      // On again: all frontends.
      await page.goto(`${base}/cluster/general`);
      await page.check('input[name=processingMode][value=all]');
      const enabled = fresh(c, (l) => l.event === 'queue.processing_enabled' && l.frontendId === off);
      const again = Date.now();
      await Promise.all([
        page.waitForURL(`${base}/cluster/general`),
        page.click('section[aria-labelledby=qp] button[type=submit]'),
      ]);
      const onLine = await c.waitForLog(enabled, 30_000);
      console.log(
        `queue-processing switch back on took effect in ${Math.max(0, logTime(onLine) - again)} ms`,
      );
    },
    TIMEOUT,
  );

  it(
    'holds a domain on the Queue page, shows the parked job, releases it and traces it to done',
    async () => {
      const c = cluster!;
      await page.goto(`${base}/queue`);
      await page.selectOption('#f-kind', 'domain');
      await page.fill('#f-value', DEMO);
      await page.fill('#f-reason', 'browser test');
      await Promise.all([
        page.waitForURL(`${base}/queue`),
        page.click('form[action="/queue/holds"] button[type=submit]'),
      ]);
      expect(await page.locator('.flash').textContent()).toContain(`Holding domain ${DEMO}`);
      expect(await page.locator(`tr[data-hold="domain:${DEMO}"]`).count()).toBe(1);

      const [sent] = await sendStream(c.ports.mx, [{ token: 'webadmin-held', to: [ALICE] }], {
        connections: 1,
      });
      const id = sent!.id!;
      await eventually(
        async () => {
          await page.goto(`${base}/queue`);
          return (await page.locator(`#jobs tr[data-id="${id}"] .status`).textContent()) === 'held'
            ? true
            : undefined;
        },
        30_000,
        `job ${id} shown held`,
      );
      await screenshot(page, 'queue');

      await Promise.all([
        page.waitForURL(`${base}/queue`),
        page.click(`tr[data-hold="domain:${DEMO}"] button[type=submit]`),
      ]);
      expect(await page.locator('.flash').textContent()).toContain(`Released domain ${DEMO}`);
      await eventually(
        async () =>
          (await readInbox(c.dataDir, ALICE)).some((m) => m.subject === 'webadmin-held') ? true : undefined,
        60_000,
        'the released message delivered',
      );
      await eventually(
        async () => {
          await page.goto(`${base}/trace?q=${id}`);
          return (await page.locator(`section[data-queue-id="${id}"] .where`).textContent()) === 'done'
            ? true
            : undefined;
        },
        30_000,
        `trace of ${id} says done`,
      );
      expect(await page.locator(`section[data-queue-id="${id}"] tbody tr`).count()).toBeGreaterThanOrEqual(2);
      await screenshot(page, 'trace');
    },
    TIMEOUT,
  );
});
