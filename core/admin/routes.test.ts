/** The routing-table use cases on real embedded storage: set, list, remove, and their refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { listRoutes, removeRoute, setRoute } from './routes.ts';

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

describe('routes', () => {
  it('sets, lists and removes routes, warning about a hosted domain', async () => {
    t = await tempStorage();
    await seedDomain(t.storage.directory, 'local.example', []);
    const deps = { control: t.storage.control, directory: t.storage.directory };
    expect(await setRoute(deps, '*', { kind: 'mx' })).toEqual({
      route: { destination: '*', route: { kind: 'mx' } },
      warnings: [],
    });
    const smarthost = { kind: 'smarthost', host: 'relay.partner.example', port: 587, tls: 'required' };
    expect((await setRoute(deps, 'Partner.Example', smarthost)).route.destination).toBe('partner.example');
    const hosted = await setRoute(deps, 'local.example', { kind: 'ses' });
    expect(hosted.warnings[0]).toContain('local.example is hosted here');
    expect((await listRoutes(deps)).map((r) => r.destination)).toEqual([
      '*',
      'local.example',
      'partner.example',
    ]);
    expect(await removeRoute(deps, 'local.example')).toEqual({ destination: 'local.example', removed: true });
    expect(await listRoutes(deps)).toHaveLength(2);
  });

  it('refuses bad input naming the field, and an unknown destination on remove', async () => {
    t = await tempStorage();
    const deps = { control: t.storage.control, directory: t.storage.directory };
    const cases: [string, unknown, string][] = [
      ['bad domain!', { kind: 'mx' }, 'destination'],
      ['x.example', { kind: 'pigeon' }, 'route'],
      ['x.example', { kind: 'smarthost', host: 'bad host', port: 25, tls: 'starttls' }, 'route.host'],
      [
        'x.example',
        { kind: 'smarthost', host: 'relay.example', port: 70_000, tls: 'starttls' },
        'route.port',
      ],
    ];
    for (const [dest, route, field] of cases) {
      const err = await setRoute(deps, dest, route).catch((e: unknown) => e);
      expect(err, `${dest} ${JSON.stringify(route)}`).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe(field);
    }
    expect(await listRoutes(deps)).toEqual([]);
    await expect(removeRoute(deps, 'x.example')).rejects.toBeInstanceOf(NotFoundAdminError);
  });
});
