/** Directory contract on DynamoDB (DynamoDB Local), plus the name counts and cascades it keeps. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DomainNotEmptyError } from '../../core/directory/errors.ts';
import { directoryContract } from '../contract/directory.contract.ts';
import { DynamoDirectory } from './dynamo-directory.ts';
import { domainKey, nameKey } from './dynamo-directory-items.ts';
import { handledRejections, suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();
const target = () => ({ client: db.client, tableName: db.names.directory });

directoryContract('DynamoDB', async () => {
  await db.fresh();
  // The NotFound case starts eight calls and awaits them in turn; see handledRejections.
  return { directory: handledRejections(new DynamoDirectory(target())), cleanup: async () => {} };
});

describe('DynamoDirectory (DynamoDB specifics)', () => {
  const domain = (name: string) => ({
    name,
    mailToUnknown: { action: 'reject' as const },
    defaults: {},
    createdAt: 1,
  });
  const account = (address: string) => ({
    address,
    name: address.split('@')[0]!,
    domain: address.split('@')[1]!,
    settings: {},
    createdAt: 2,
  });
  const item = async (key: { pk: string; sk: string }) =>
    (await db.client.send(new GetCommand({ TableName: db.names.directory, Key: key }))).Item;

  it('counts names per domain, across kinds and cross-domain aliases', async () => {
    await db.fresh();
    const dir = new DynamoDirectory(target());
    await dir.addDomain(domain('a.example'));
    await dir.addDomain(domain('b.example'));
    await dir.addAccount(account('alice@a.example'));
    await dir.addAlias({ address: 'al@b.example', account: 'alice@a.example' });
    await dir.addAlias({ address: 'ali@a.example', account: 'alice@a.example' });
    await dir.addForwarder({ address: 'f@a.example', target: 'x@y.example' });
    expect(await item(domainKey('a.example'))).toMatchObject({ names: 3 });
    expect(await item(domainKey('b.example'))).toMatchObject({ names: 1 });
    expect((await item(nameKey('alice@a.example')))?.aliases).toEqual(
      new Set(['al@b.example', 'ali@a.example']),
    );

    await dir.removeAlias('ali@a.example');
    expect((await item(nameKey('alice@a.example')))?.aliases).toEqual(new Set(['al@b.example']));
    // Removing the domain of the account takes its alias in the other domain with it.
    await expect(dir.removeDomain('a.example')).rejects.toBeInstanceOf(DomainNotEmptyError);
    await dir.removeDomain('a.example', { force: true });
    expect(await dir.lookupName('al@b.example')).toBeUndefined();
    expect(await item(domainKey('b.example'))).toMatchObject({ names: 0 });
    await dir.removeDomain('b.example');
    expect(await dir.listDomains()).toEqual([]);
  });

  it('keeps one name under concurrent adds of different kinds', async () => {
    await db.fresh();
    const dir = new DynamoDirectory(target());
    await dir.addDomain(domain('c.example'));
    await dir.addAccount(account('target@c.example'));
    const results = await Promise.allSettled([
      dir.addAccount(account('x@c.example')),
      dir.addAlias({ address: 'x@c.example', account: 'target@c.example' }),
      dir.addForwarder({ address: 'x@c.example', target: 't@y.example' }),
      dir.addAccount(account('x@c.example')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await item(domainKey('c.example'))).toMatchObject({ names: 2 });
  });

  it('removes an account with many aliases (more than one transaction holds)', async () => {
    await db.fresh();
    const dir = new DynamoDirectory(target());
    await dir.addDomain(domain('d.example'));
    await dir.addAccount(account('many@d.example'));
    for (let i = 0; i < 60; i++)
      await dir.addAlias({ address: `a${i}@d.example`, account: 'many@d.example' });
    await dir.removeAccount('many@d.example');
    expect(await dir.listAliases('d.example')).toEqual([]);
    expect(await item(domainKey('d.example'))).toMatchObject({ names: 0 });
  });
});
