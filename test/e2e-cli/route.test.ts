/**
 * `strato route list|set|remove|test` in-process on a temp data dir: routes set (mx, ses,
 * smarthost with host:port, TLS and AUTH by password variable), listed as table and JSON,
 * replaced and removed; bad input (malformed destination, unknown kind, missing or bad host, bad
 * port, AUTH without TLS or with a variable outside STRATO_ROUTE_PASSWORD_*) is one stderr line,
 * exit 2 and nothing changed; `route test` names the route and its hosts, for MX looked up
 * through a real DNS server on the loopback (STRATO_DNS_SERVERS), including a null MX.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../support/dns-server.ts';
import { cliFor, hasStackTrace, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
const dns = new TestDnsServer();
let dnsEnv: Record<string, string>;

beforeAll(async () => {
  await dns.start();
  dns.add(
    { name: 'by-mx.example', type: 'MX', data: { preference: 20, exchange: 'mx2.by-mx.example' } },
    { name: 'by-mx.example', type: 'MX', data: { preference: 10, exchange: 'mx1.by-mx.example' } },
    { name: 'mx1.by-mx.example', type: 'A', data: '127.0.0.7' },
    { name: 'mx2.by-mx.example', type: 'A', data: '127.0.0.8' },
    { name: 'no-mail.example', type: 'MX', data: { preference: 0, exchange: '.' } },
  );
  dnsEnv = { STRATO_DNS_SERVERS: dns.server, STRATO_DNS_TIMEOUT_MS: '1000' };
});
afterAll(async () => {
  await dns.close();
  data.remove();
});

describe('strato route list / set / remove', () => {
  it('sets, lists, replaces and removes routes', async () => {
    expect(await cli.ok(['route', 'list'])).toBe(
      "no routes: every destination uses each queue processor's own relay (STRATO_RELAY; built-in: capture)\n",
    );
    expect(await cli.json(['route', 'list'])).toEqual([]);
    expect(await cli.ok(['route', 'set', '*', 'mx'])).toBe(
      'route: * → mx (queue processors pick it up within seconds)\n',
    );
    expect(await cli.ok(['route', 'set', '*.Corp.Example', 'SES'])).toContain('route: *.corp.example → ses');
    expect(
      await cli.ok([
        'route',
        'set',
        'partner.example',
        'smarthost',
        'Relay.Partner.Example:587',
        '--tls',
        'required',
        '--user',
        'strato',
        '--password-env',
        'STRATO_ROUTE_PASSWORD_PARTNER',
      ]),
    ).toContain(
      'route: partner.example → smarthost relay.partner.example:587 tls=required user=strato password=$STRATO_ROUTE_PASSWORD_PARTNER',
    );
    expect(
      await cli.ok(['route', 'set', 'tls.example', 'smarthost', '[::1]', '--tls', 'implicit']),
    ).toContain('smarthost [::1]:465 tls=implicit');
    const table = (await cli.ok(['route', 'list'])).trimEnd().split('\n');
    expect(table.map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['DESTINATION', 'ROUTE'],
      ['*', 'mx'],
      ['*.corp.example', 'ses'],
      ['partner.example', 'smarthost', 'relay.partner.example:587'],
      ['tls.example', 'smarthost', '[::1]:465'],
    ]);
    expect(await cli.json(['route', 'list'])).toContainEqual({
      destination: 'partner.example',
      route: {
        kind: 'smarthost',
        host: 'relay.partner.example',
        port: 587,
        tls: 'required',
        user: 'strato',
        passwordEnv: 'STRATO_ROUTE_PASSWORD_PARTNER',
      },
    });
    // Set again: replaced.
    await cli.ok(['route', 'set', 'tls.example', 'smarthost', 'relay.example', '--port', '2525']);
    expect(await cli.json(['route', 'list'])).toContainEqual({
      destination: 'tls.example',
      route: { kind: 'smarthost', host: 'relay.example', port: 2525, tls: 'starttls' },
    });
    expect(await cli.ok(['route', 'remove', 'TLS.example'])).toBe('route: tls.example removed\n');
    const gone = await cli.run(['route', 'remove', 'tls.example']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('strato: no route for tls.example (see "strato route list")\n');
  });

  it('refuses bad input with exit 2 and changes nothing', async () => {
    const before = await cli.json(['route', 'list']);
    const bad = [
      ['not a domain', 'mx'],
      ['a.*.example', 'mx'],
      ['x.example', 'pigeon'],
      ['x.example', 'smarthost'],
      ['x.example', 'smarthost', 'bad host'],
      ['x.example', 'smarthost', 'relay.example:0'],
      ['x.example', 'smarthost', 'relay.example:99999'],
      ['x.example', 'smarthost', 'relay.example', '--port', 'smtp'],
      ['x.example', 'smarthost', 'relay.example:25', '--port', '25'],
      ['x.example', 'smarthost', 'relay.example', '--tls', 'maybe'],
      ['x.example', 'smarthost', 'relay.example', '--user', 'u'],
      ['x.example', 'smarthost', 'relay.example', '--user', 'u', '--password-env', 'STRATO_ROUTE_PASSWORD_U'],
      [
        'x.example',
        'smarthost',
        'relay.example',
        '--tls',
        'required',
        '--user',
        'u',
        '--password-env',
        'HOME',
      ],
      ['x.example', 'mx', 'relay.example'],
      ['x.example', 'ses', '--tls', 'required'],
    ];
    for (const args of bad) {
      const r = await cli.run(['route', 'set', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(r.stdout).toBe('');
    }
    expect((await cli.run(['route', 'remove', 'bad domain'])).code).toBe(2);
    expect(await cli.json(['route', 'list'])).toEqual(before);
    const noHost = await cli.run(['route', 'set', 'x.example', 'smarthost']);
    expect(noHost.stderr).toContain('needs a host');
    const noTls = await cli.run([
      'route',
      'set',
      'x.example',
      'smarthost',
      'r.example',
      '--user',
      'u',
      '--password-env',
      'STRATO_ROUTE_PASSWORD_U',
    ]);
    expect(noTls.stderr).toContain('AUTH needs TLS mode required or implicit');
  });

  it('warns when a route names a hosted domain', async () => {
    await cli.ok(['domain', 'add', 'local.example']);
    const r = await cli.run(['route', 'set', 'local.example', 'mx']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('local.example is hosted here');
    await cli.ok(['route', 'remove', 'local.example']);
  });
});

describe('strato route test', () => {
  it('names the route and the hosts it would use', async () => {
    // '*' → mx: the MX hosts in preference order, from the loopback DNS server.
    const mx = await cli.run(['route', 'test', 'bob@by-mx.example'], { env: dnsEnv });
    expect(mx.code, mx.stderr).toBe(0);
    expect(mx.stdout).toMatch(/destination:\s+\*\n/);
    expect(mx.stdout).toMatch(/route:\s+mx\n/);
    expect(mx.stdout).toMatch(
      /host:\s+10 mx1\.by-mx\.example \(127\.0\.0\.7\)\nhost:\s+20 mx2\.by-mx\.example \(127\.0\.0\.8\)\n/,
    );
    const json = await cli.run(['--json', 'route', 'test', 'bob@by-mx.example'], { env: dnsEnv });
    expect(JSON.parse(json.stdout)).toMatchObject({
      destination: '*',
      route: { kind: 'mx' },
      hosts: [
        { host: 'mx1.by-mx.example', preference: 10, addresses: ['127.0.0.7'] },
        { host: 'mx2.by-mx.example', preference: 20, addresses: ['127.0.0.8'] },
      ],
    });
    const nullMx = await cli.run(['--json', 'route', 'test', 'a@no-mail.example'], { env: dnsEnv });
    expect(JSON.parse(nullMx.stdout)).toMatchObject({
      hosts: [],
      note: 'no-mail.example accepts no mail (null MX): mail to it bounces',
    });

    const relay = await cli.ok(['route', 'test', 'carol@partner.example']);
    expect(relay).toMatch(/destination:\s+partner\.example\n/);
    expect(relay).toMatch(/host:\s+relay\.partner\.example:587\n/);
    expect(relay).toContain('TLS required, AUTH as strato with $STRATO_ROUTE_PASSWORD_PARTNER');
    expect(await cli.ok(['route', 'test', 'dave@eu.corp.example'])).toMatch(/route:\s+ses\n/);

    await cli.ok(['route', 'remove', '*']);
    expect(await cli.ok(['route', 'test', 'erin@elsewhere.example'])).toMatch(
      /destination:\s+no route matches\nroute:\s+each queue processor's own relay/,
    );
    expect(await cli.ok(['route', 'test', 'frank@local.example'])).toContain('local.example is hosted here');
    const bad = await cli.run(['route', 'test', 'not-an-address']);
    expect(bad.code).toBe(2);
  });
});
