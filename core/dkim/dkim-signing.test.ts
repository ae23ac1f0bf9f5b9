import { Readable } from 'node:stream';
import { dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { LongLineFolder } from '../mail/line-folding.ts';
import type { MessageSource } from '../mail/message-source.ts';
import type { DkimAlgorithm, DkimKeyRecord } from '../ports/directory.ts';
import type { LogFields, Logger } from '../ports/logger.ts';
import { dkimRecordName, dkimRecordValue, generateDkimPrivateKey } from './dkim-keys.ts';
import { dkimSignedOpener } from './dkim-signing.ts';

const keyOf = (algorithm: DkimAlgorithm, selector = `${algorithm}1`): DkimKeyRecord => ({
  domain: 'example.com',
  selector,
  algorithm,
  privateKeyPem: generateDkimPrivateKey(algorithm),
  createdAt: 1,
  state: 'active',
});

const message = (from: string, extra = '') =>
  `${extra}From: Alice <${from}>\r\nTo: bob@far.example\r\nSubject: hi\r\nMessage-ID: <1@example.com>\r\n\r\n` +
  'Hello there.\r\n'.repeat(2000);

function fixture(keys: DkimKeyRecord[]) {
  const warnings: LogFields[] = [];
  const logger = {
    warn: (f: LogFields) => warnings.push(f),
    debug() {},
    info() {},
    error() {},
    child: () => logger,
  } as unknown as Logger;
  let opens = 0;
  return {
    warnings,
    opens: () => opens,
    deps: { directory: { dkimKeys: async (d: string) => keys.filter((k) => k.domain === d) }, logger },
    async sign(text: string, source: MessageSource = 'SUBMIT'): Promise<string> {
      const open = async () => {
        opens++;
        return Readable.from([Buffer.from(text)]);
      };
      const opener = await dkimSignedOpener(this.deps, { id: 'q1', source }, open);
      const chunks: Buffer[] = [];
      for await (const c of await opener()) chunks.push(Buffer.from(c as Buffer));
      return Buffer.concat(chunks).toString();
    },
  };
}

/** Verify against the published record of `keys` (what a receiver's DNS lookup would find). */
async function verify(signed: string, keys: DkimKeyRecord[]) {
  const records = new Map(keys.map((k) => [dkimRecordName(k), dkimRecordValue(k)]));
  const resolver = async (name: string) => {
    const value = records.get(name);
    if (!value) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return [[value]];
  };
  return (await dkimVerify(signed, { resolver })).results;
}

describe('DKIM signing of relayed mail', () => {
  for (const algorithm of ['rsa', 'ed25519'] as const) {
    it(`signs submitted mail from a domain with a ${algorithm} key, verifiably`, async () => {
      const key = keyOf(algorithm);
      const fx = fixture([key]);
      const text = message('alice@example.com');
      const signed = await fx.sign(text);
      expect(signed.startsWith('DKIM-Signature:')).toBe(true);
      expect(signed.endsWith(text)).toBe(true);
      const results = await verify(signed, [key]);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ signingDomain: 'example.com', selector: key.selector });
      // The whole status on a failure: mailauth says why (body hash, signature, key).
      expect(results[0]!.status).toMatchObject({ result: 'pass' });
      expect(signed).toContain(algorithm === 'rsa' ? 'a=rsa-sha256' : 'a=ed25519-sha256');
    });
  }

  it('signs mail rules write and DSNs, but not mail that came in from outside or the CLI', async () => {
    const fx = fixture([keyOf('rsa')]);
    const text = message('alice@example.com');
    const forward = message('alice@example.com').replace(
      '\r\n\r\n',
      '\r\nX-Strato-Loop: alice@example.com\r\n\r\n',
    );
    expect(await fx.sign(forward, 'RULE')).not.toBe(forward);
    // Forward-to-frontends mode: the frontend's Received sits above the rule's message.
    const resubmitted = `Received: from backend by frontend; Wed, 2 Dec 2026 11:00:00 +0000\r\n${forward}`;
    expect(await fx.sign(resubmitted, 'RULE')).not.toBe(resubmitted);
    expect(await fx.sign(text, 'DSN')).not.toBe(text);
    expect(await fx.sign(text, 'SMTP')).toBe(text);
    expect(await fx.sign(text, 'CLI')).toBe(text);
  });

  it('does not sign a redirected or mirrored original, even one claiming our From', async () => {
    const fx = fixture([keyOf('rsa')]);
    // Someone outside wrote From: alice@example.com; intake added Received; a redirect rule put
    // its loop mark (a mirror also Resent-*) above that header.
    const original = message(
      'alice@example.com',
      'Received: from mx.evil.example by us; Wed, 2 Dec 2026 11:00:00 +0000\r\n',
    );
    const redirect = `X-Strato-Loop: bob@example.com\r\n${original}`;
    expect(await fx.sign(redirect, 'RULE')).toBe(redirect);
    const mirror = `Resent-From: <bob@example.com>\r\nX-Strato-Loop: bob@example.com\r\n${original}`;
    expect(await fx.sign(mirror, 'RULE')).toBe(mirror);
    // A rule's message without its loop mark is not recognisably the rule's own.
    const unmarked = message('alice@example.com');
    expect(await fx.sign(unmarked, 'RULE')).toBe(unmarked);
  });

  it('leaves mail whose From domain has no key, or is a stranger, unsigned', async () => {
    const fx = fixture([keyOf('rsa')]);
    for (const from of ['alice@other.example', 'someone@stranger.example']) {
      const text = message(from);
      expect(await fx.sign(text, 'SUBMIT')).toBe(text);
    }
    // Two From domains: none of them is "the" author domain.
    const two = message('alice@example.com').replace(
      'From: Alice <alice@example.com>',
      'From: a@example.com, b@x.example',
    );
    expect(await fx.sign(two)).toBe(two);
  });

  it('does not sign twice: a signature with our d= and s= is already there', async () => {
    const key = keyOf('ed25519');
    const fx = fixture([key]);
    const once = await fx.sign(message('alice@example.com'));
    expect(await fx.sign(once)).toBe(once);
    // Someone else's signature (another d=) does not count.
    const foreign = message(
      'alice@example.com',
      'DKIM-Signature: v=1; a=rsa-sha256; d=elsewhere.example; s=x; b=abc\r\n',
    );
    const signed = await fx.sign(foreign);
    expect(signed).not.toBe(foreign);
    expect(signed.endsWith(foreign)).toBe(true);
  });

  it('signs with the active key after a rotation, not the retired one', async () => {
    const old = { ...keyOf('rsa', 'old'), state: 'retired' as const };
    const fresh = keyOf('ed25519', 'new');
    const fx = fixture([old, fresh]);
    const results = await verify(await fx.sign(message('alice@example.com')), [old, fresh]);
    expect(results.map((r) => [r.selector, r.status.result])).toEqual([['new', 'pass']]);
  });

  it('signs a message with lines over 998 octets as the relay folds them on the wire', async () => {
    const key = keyOf('rsa');
    const fx = fixture([key]);
    const long = message('alice@example.com').replace('Hello there.\r\n', `${'x'.repeat(3000)}\r\n`);
    const signed = await fx.sign(long);
    const lines = signed.split('\r\n');
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(998);
    // What the MX session sends: folded again, which changes nothing.
    const chunks: Buffer[] = [];
    for await (const c of Readable.from([Buffer.from(signed)]).pipe(new LongLineFolder())) chunks.push(c);
    const wire = Buffer.concat(chunks).toString();
    expect(wire).toBe(signed);
    expect((await verify(wire, [key]))[0]!.status.result).toBe('pass');
  });

  it('opens the stored message again for each stream, with the same signature', async () => {
    const fx = fixture([keyOf('rsa')]);
    const open = async () => Readable.from([Buffer.from(message('alice@example.com'))]);
    const opener = await dkimSignedOpener(fx.deps, { id: 'q1', source: 'SUBMIT' }, open);
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const c of await opener()) chunks.push(Buffer.from(c as Buffer));
      return Buffer.concat(chunks).toString();
    };
    expect(await read()).toBe(await read());
  });

  it('sends unsigned, with a warning, when the stored key cannot sign', async () => {
    const broken = {
      ...keyOf('rsa'),
      privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    };
    const fx = fixture([broken]);
    const text = message('alice@example.com');
    expect(await fx.sign(text)).toBe(text);
    expect(fx.warnings.map((w) => w.event)).toEqual(['dkim.sign_failed']);
    expect(JSON.stringify(fx.warnings)).not.toContain('PRIVATE KEY');
  });

  it('passes a fault reading the stored message on (the delivery is retried)', async () => {
    const fx = fixture([keyOf('rsa')]);
    const failing = async () => {
      throw new Error('disk I/O error');
    };
    await expect(dkimSignedOpener(fx.deps, { id: 'q1', source: 'SUBMIT' }, failing)).rejects.toThrow(
      'disk I/O',
    );
  });
});
