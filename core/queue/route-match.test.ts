/** Route matching: exact before the most specific `*.parent`, then `*`, then none; route keys. */
import { describe, expect, it } from 'vitest';
import { parseDestination, type RouteEntry } from '../ports/route-table.ts';
import { RouteIndex, recipientDomain, routeKey } from './route-match.ts';

const entry = (destination: string, kind: 'mx' | 'ses'): RouteEntry => ({ destination, route: { kind } });

describe('RouteIndex.match', () => {
  const index = new RouteIndex([
    entry('example.com', 'ses'),
    entry('*.example.com', 'mx'),
    entry('*.eu.example.com', 'ses'),
    entry('mail.eu.example.com', 'mx'),
  ]);

  it('takes the exact entry, else the longest *.parent, else none', () => {
    const at = (d: string) => index.match(d)?.destination;
    expect(at('example.com')).toBe('example.com');
    expect(at('EXAMPLE.com.')).toBe('example.com');
    expect(at('a.example.com')).toBe('*.example.com');
    expect(at('a.b.example.com')).toBe('*.example.com');
    expect(at('eu.example.com')).toBe('*.example.com');
    expect(at('x.eu.example.com')).toBe('*.eu.example.com');
    expect(at('mail.eu.example.com')).toBe('mail.eu.example.com');
    expect(at('notexample.com')).toBeUndefined();
    expect(at('example.org')).toBeUndefined();
  });

  it('falls back to * when nothing more specific matches', () => {
    const withAny = new RouteIndex([entry('*', 'mx'), entry('a.example', 'ses')]);
    expect(withAny.match('a.example')?.destination).toBe('a.example');
    expect(withAny.match('b.example')?.destination).toBe('*');
    expect(new RouteIndex([]).match('a.example')).toBeUndefined();
  });
});

describe('parseDestination', () => {
  it('normalises domains, wildcards and *; refuses the rest', () => {
    expect(parseDestination(' Example.COM. ')).toEqual({ ok: true, value: 'example.com' });
    expect(parseDestination('*.Example.com')).toEqual({ ok: true, value: '*.example.com' });
    expect(parseDestination('*')).toEqual({ ok: true, value: '*' });
    for (const bad of [
      '',
      'a b.example',
      'a.*.example',
      '*example.com',
      '*.',
      '*.*.example',
      'nodot',
      '-a.example',
    ])
      expect(parseDestination(bad).ok, bad).toBe(false);
  });
});

describe('routeKey', () => {
  it('tells apart every field that changes where or how mail goes', () => {
    const base = { kind: 'smarthost', host: 'relay.example', port: 25, tls: 'starttls' } as const;
    const keys = [
      routeKey({ kind: 'mx' }),
      routeKey({ kind: 'ses' }),
      routeKey(base),
      routeKey({ ...base, port: 587 }),
      routeKey({ ...base, host: 'other.example' }),
      routeKey({ ...base, tls: 'required' }),
      routeKey({ ...base, tls: 'required', user: 'a', passwordEnv: 'STRATO_ROUTE_PASSWORD_A' }),
      routeKey({ ...base, tls: 'required', user: 'a', passwordEnv: 'STRATO_ROUTE_PASSWORD_B' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(routeKey({ ...base })).toBe(routeKey(base));
    expect(recipientDomain('Bob@Sub.Example.COM')).toBe('sub.example.com');
  });
});
