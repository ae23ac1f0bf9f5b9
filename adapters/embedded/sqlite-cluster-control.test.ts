/** ClusterControl contract on SQLite, and a stored route that no longer validates. */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PortError } from '../../core/ports/errors.ts';
import { clusterControlContract } from '../contract/cluster-control.contract.ts';
import { openDatabase } from './sqlite.ts';
import { tempStorage } from './test-support.ts';

clusterControlContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { control: t.storage.control, clock: t.clock, cleanup: t.cleanup };
});

it('refuses to act on a stored route that no longer validates (PortError naming it)', async () => {
  const t = await tempStorage();
  try {
    await t.storage.control.setRoute('a.example', { kind: 'mx' });
    const db = openDatabase(join(t.dir, 'directory.db'));
    db.prepare('UPDATE outbound_routes SET json = ? WHERE destination = ?').run(
      JSON.stringify({ kind: 'smarthost', host: 'relay.example', port: 0, tls: 'starttls' }),
      'a.example',
    );
    db.close();
    const read = t.storage.control.listRoutes();
    await expect(read).rejects.toBeInstanceOf(PortError);
    await expect(t.storage.control.listRoutes()).rejects.toThrow('stored route for a.example is invalid');
  } finally {
    await t.cleanup();
  }
});
