import { describe, expect, it } from 'vitest';
import { SettingValueError } from './errors.ts';
import {
  BUILTIN_SETTINGS,
  formatSetting,
  parseFlow,
  parseRetry,
  parseSetting,
  parseSize,
  resolveSettings,
} from './settings.ts';

describe('settings inheritance', () => {
  it('takes each setting from the first level that sets it: account, domain, cluster, built-in', () => {
    const account = { MaxAccountSize: 1000 };
    const domain = { MaxAccountSize: 2000, MaxMessageSize: 500, Enabled: false };
    const cluster = { MaxMessageSize: 700, MailOutFlow: [5, 60] as const };
    const effective = resolveSettings(account, domain, cluster);
    expect(effective).toEqual({
      Enabled: false,
      MaxAccountSize: 1000,
      MaxMessageSize: 500,
      MaxMailOutSize: BUILTIN_SETTINGS.MaxMailOutSize,
      MailOutFlow: [5, 60],
      MailInpFlow: BUILTIN_SETTINGS.MailInpFlow,
      DisabledRetry: null,
      FullRetry: null,
      HomeBackend: null,
      SendAs: [],
    });
  });

  it('treats null (unlimited) as a value that stops inheritance, and undefined as unset', () => {
    const effective = resolveSettings({ MaxAccountSize: null }, { MaxAccountSize: 5 }, undefined);
    expect(effective.MaxAccountSize).toBeNull();
    expect(resolveSettings({ MaxAccountSize: undefined }, { MaxAccountSize: 5 }).MaxAccountSize).toBe(5);
  });

  it('falls back to built-in defaults with no levels', () => {
    expect(resolveSettings()).toEqual(BUILTIN_SETTINGS);
  });
});

describe('setting values', () => {
  it.each([
    ['10M', 10 * 1024 * 1024],
    ['512k', 512 * 1024],
    ['1G', 1024 ** 3],
    ['1048576', 1048576],
    ['20MB', 20 * 1024 * 1024],
    ['unlimited', null],
  ])('size %s', (input, bytes) => expect(parseSize('MaxAccountSize', input)).toBe(bytes));

  it.each([
    ['100/3600', [100, 3600]],
    ['100/1h', [100, 3600]],
    ['5 / 30m', [5, 1800]],
    ['unlimited', null],
  ])('flow %s', (input, flow) => expect(parseFlow('MailOutFlow', input)).toEqual(flow));

  it.each([
    ['10m/1d', [600, 86400]],
    ['600/86400s', [600, 86400]],
    ['1h / 2d', [3600, 172800]],
    ['queue', null],
  ])('retry %s', (input, policy) => expect(parseRetry('FullRetry', input)).toEqual(policy));

  it('names the setting and the expected form in errors', () => {
    expect(() => parseRetry('DisabledRetry', '10m')).toThrow(/DisabledRetry.*every\/for/);
    expect(() => parseSize('MaxAccountSize', 'lots')).toThrow(SettingValueError);
    expect(() => parseSize('MaxAccountSize', 'lots')).toThrow(/MaxAccountSize.*10M/);
    expect(() => parseFlow('MailInpFlow', '10/0')).toThrow(/MailInpFlow/);
    expect(() => parseSetting('Quota', '1M')).toThrow(/one of the settings Enabled, MaxAccountSize/);
    expect(() => parseSetting('Enabled', 'maybe')).toThrow(/true or false/);
  });

  it('parses any setting by name, and "default" clears it', () => {
    expect(parseSetting('Enabled', 'no')).toEqual({ Enabled: false });
    expect(parseSetting('MailInpFlow', '10/60')).toEqual({ MailInpFlow: [10, 60] });
    expect(parseSetting('MaxMessageSize', '1M')).toEqual({ MaxMessageSize: 1048576 });
    const cleared = parseSetting('MaxMessageSize', 'default');
    expect(Object.keys(cleared)).toEqual(['MaxMessageSize']);
    expect(cleared.MaxMessageSize).toBeUndefined();
  });

  it('formats values for people', () => {
    expect(formatSetting('MailOutFlow', [10, 60])).toBe('10/60s');
    expect(formatSetting('MaxAccountSize', null)).toBe('unlimited');
    expect(formatSetting('Enabled', undefined)).toBe('(inherited)');
    expect(formatSetting('HomeBackend', null)).toBe('none');
    expect(formatSetting('HomeBackend', 'backend-2')).toBe('backend-2');
  });

  it('parses HomeBackend as a backend id or none, and refuses anything else', () => {
    expect(parseSetting('HomeBackend', ' backend-2 ')).toEqual({ HomeBackend: 'backend-2' });
    expect(parseSetting('HomeBackend', 'NONE')).toEqual({ HomeBackend: null });
    expect(() => parseSetting('HomeBackend', 'backend 2')).toThrow(/HomeBackend.*backend id/);
    expect(() => parseSetting('HomeBackend', 'b@x')).toThrow(SettingValueError);
  });

  it('parses SendAs as normalised addresses and @domain entries, none or default', () => {
    expect(
      parseSetting('SendAs', 'Sales@Example.COM, @Shop.example  info@example.com,sales@example.com'),
    ).toEqual({
      SendAs: ['sales@example.com', '@shop.example', 'info@example.com'],
    });
    expect(parseSetting('SendAs', 'none')).toEqual({ SendAs: [] });
    expect(Object.keys(parseSetting('SendAs', 'default'))).toEqual(['SendAs']);
    expect(resolveSettings({}, { SendAs: ['@a.example'] }).SendAs).toEqual(['@a.example']);
    expect(resolveSettings().SendAs).toEqual([]);
    expect(formatSetting('SendAs', ['a@x.example', '@y.example'])).toBe('a@x.example,@y.example');
    expect(formatSetting('SendAs', [])).toBe('none');
  });

  it('refuses a SendAs entry that is neither an address nor @domain, naming it', () => {
    expect(() => parseSetting('SendAs', 'a@x.example, bob')).toThrow(
      /SendAs.*"bob": address must be local@domain/,
    );
    expect(() => parseSetting('SendAs', '@nodot')).toThrow(SettingValueError);
    expect(() => parseSetting('SendAs', 'a@@x.example')).toThrow(/SendAs/);
  });
});
