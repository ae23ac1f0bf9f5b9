import { describe, expect, it } from 'vitest';
import { derivedQueueId, newQueueId } from '../util/ids.ts';
import { checkGeneratedId } from './generated-id.ts';
import { parseTrustedNetworks } from './trusted-networks.ts';

const parsed = parseTrustedNetworks(['10.0.0.0/16']);
if (!parsed.ok) throw new Error('bad fixture');
const trusted = parsed.value;
const id = derivedQueueId(newQueueId(), 'redirect:0');

describe('checkGeneratedId', () => {
  it('passes a derived id from a trusted client', () => {
    expect(checkGeneratedId('10.0.3.4', { XGENID: id }, trusted)).toEqual({ ok: true, id });
    expect(checkGeneratedId('::ffff:10.0.3.4', { XGENID: id, SIZE: '10' }, trusted)).toEqual({
      ok: true,
      id,
    });
  });

  it('is a no-op without the parameter, from anyone', () => {
    expect(checkGeneratedId('192.0.2.1', { SIZE: '10' }, trusted)).toEqual({ ok: true });
    expect(checkGeneratedId('192.0.2.1', false, trusted)).toEqual({ ok: true });
    expect(checkGeneratedId('192.0.2.1', undefined, trusted)).toEqual({ ok: true });
  });

  it('refuses the parameter from an untrusted client with 555 5.5.4', () => {
    const r = checkGeneratedId('192.0.2.1', { XGENID: id }, trusted);
    expect(r).toMatchObject({ ok: false, reply: { code: 555, enhanced: '5.5.4' } });
  });

  it('refuses a value that is not a queue id with 501 5.5.4', () => {
    for (const bad of [true, '', 'short', `${id}X`, id.toLowerCase(), '../../etc/passwd']) {
      const r = checkGeneratedId('10.0.0.9', { XGENID: bad }, trusted);
      expect(r).toMatchObject({ ok: false, reply: { code: 501, enhanced: '5.5.4' } });
    }
  });
});
