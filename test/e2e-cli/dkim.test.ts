/**
 * End-to-end tests of `strato dkim` through the CLI's `main` (in-process) on a temp data dir:
 * generate (RSA and Ed25519), show, rotate (the old key retired, still listed), remove; the TXT
 * record printed matches the stored key and is split into 255-octet strings; private keys are
 * never printed; bad input (unknown domain, bad algorithm or selector) fails with nothing changed.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { cliFor, hasStackTrace, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

async function storedKeys(domain: string) {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    return await storage.directory.dkimKeys(domain);
  } finally {
    await storage.close();
  }
}

/** The quoted strings of a printed TXT line, and their joined value. */
function txtStrings(line: string): { strings: string[]; value: string } {
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  return { strings, value: strings.join('') };
}

const spkiOf = (pem: string) =>
  createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).toString('base64');

describe('strato dkim', () => {
  it('generates, shows, rotates and removes keys, printing only public parts', async () => {
    await cli.ok(['domain', 'add', 'example.com']);
    const out = await cli.ok(['dkim', 'generate', 'example.com', '--selector', 'S1']);
    const line = out.split('\n').find((l) => l.startsWith('s1._domainkey.example.com TXT "'))!;
    expect(line).toBeDefined();
    const { strings, value } = txtStrings(line);
    expect(strings.length).toBeGreaterThan(1);
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
    const [rsa] = await storedKeys('example.com');
    expect(rsa).toMatchObject({ selector: 's1', algorithm: 'rsa', state: 'active' });
    expect(value).toBe(`v=DKIM1; k=rsa; p=${spkiOf(rsa!.privateKeyPem)}`);
    expect(out).not.toContain('PRIVATE');

    const rotated = await cli.ok(['dkim', 'rotate', 'example.com', '--algorithm', 'ed25519']);
    expect(rotated).toMatch(
      /^DKIM key ed25519-\d{8} \(ed25519\) made for example\.com; it signs from now on\.$/m,
    );
    expect(rotated).toMatch(
      /^ed25519-\d{8}\._domainkey\.example\.com TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/=]{44}"$/m,
    );
    expect(rotated).toContain('Key s1 is retired');
    expect(rotated).toContain('strato dkim remove example.com s1');
    const keys = await storedKeys('example.com');
    expect(keys.map((k) => [k.selector.replace(/\d{8}/, 'DATE'), k.algorithm, k.state])).toEqual([
      ['s1', 'rsa', 'retired'],
      ['ed25519-DATE', 'ed25519', 'active'],
    ]);

    const shown = await cli.json<Record<string, unknown>[]>(['dkim', 'show', 'example.com']);
    expect(shown.map((k) => k.state)).toEqual(['retired', 'active']);
    expect(JSON.stringify(shown)).not.toContain('PRIVATE');
    expect(shown[0]).not.toHaveProperty('privateKeyPem');
    const text = await cli.ok(['dkim', 'show', 'example.com']);
    expect(text).toMatch(/^s1 {2}rsa {2}retired/m);
    expect(text).toMatch(/^ed25519-\d{8} {2}ed25519 {2}active \(signs\)/m);
    expect(text).not.toContain('PRIVATE');

    const active = keys[1]!.selector;
    const refused = await cli.run(['dkim', 'remove', 'example.com', active]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is the active key; rotate first');
    expect(await cli.ok(['dkim', 'remove', 'example.com', 's1'])).toContain(
      'DKIM key s1 of example.com removed',
    );
    expect((await storedKeys('example.com')).map((k) => k.selector)).toEqual([active]);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    await cli.ok(['domain', 'add', 'quiet.example']);
    const cases: [string[], number, RegExp][] = [
      [['dkim', 'generate', 'unknown.example'], 1, /^strato: domain unknown\.example does not exist\n$/],
      [
        ['dkim', 'generate', 'quiet.example', '--algorithm', 'dsa'],
        2,
        /invalid algorithm "dsa": expected one of rsa, ed25519/,
      ],
      [['dkim', 'generate', 'quiet.example', '--selector', 'bad_sel'], 2, /invalid selector "bad_sel"/],
      [
        ['dkim', 'rotate', 'quiet.example'],
        1,
        /has no active DKIM key; use "strato dkim generate quiet\.example"/,
      ],
      [['dkim', 'show', 'unknown.example'], 1, /domain unknown\.example does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli.run(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(await storedKeys('quiet.example')).toEqual([]);

    await cli.ok(['dkim', 'generate', 'quiet.example', '--algorithm', 'ED25519', '--selector', 'k1']);
    const again = await cli.run(['dkim', 'generate', 'quiet.example']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'already has an active DKIM key (selector k1); use "strato dkim rotate quiet.example"',
    );
    const taken = await cli.run(['dkim', 'rotate', 'quiet.example', '--selector', 'k1']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already has a DKIM key with selector k1');
    expect((await storedKeys('quiet.example')).map((k) => [k.selector, k.state])).toEqual([['k1', 'active']]);
    expect(await cli.ok(['dkim', 'show', 'quiet.example'])).toMatch(/^k1 {2}ed25519 {2}active \(signs\)/m);
  });
});
