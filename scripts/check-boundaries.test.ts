import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findCoreArrowViolations,
  findCycle,
  findOuterArrowViolations,
  findViolations,
} from './check-boundaries.ts';

describe('import boundaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-boundaries-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the real core/ imports nothing it must not', () => {
    expect(findViolations(new URL('../core', import.meta.url).pathname)).toEqual([]);
  });

  it('the real core/ folders keep their arrows, and the outer folders theirs', () => {
    const repo = new URL('..', import.meta.url).pathname;
    expect(findCoreArrowViolations(join(repo, 'core'))).toEqual([]);
    expect(findOuterArrowViolations(repo)).toEqual([]);
  });

  it('flags a core import against the arrows and a cycle between core folders', () => {
    const core = join(dir, 'core');
    mkdirSync(join(core, 'low'), { recursive: true });
    mkdirSync(join(core, 'high'), { recursive: true });
    writeFileSync(join(core, 'high', 'a.ts'), "import { b } from '../low/b.ts';\nexport const a = b;\n");
    writeFileSync(join(core, 'low', 'b.ts'), "import { a } from '../high/a.ts';\nexport const b = a;\n");
    const found = findCoreArrowViolations(core, { low: [], high: ['low'] });
    expect(
      found.some((v) =>
        /b\.ts:1: imports "\.\.\/high\/a\.ts" — core\/low may not import core\/high$/.test(v),
      ),
    ).toBe(true);
    expect(found.some((v) => /core folder cycle: (high -> low -> high|low -> high -> low)/.test(v))).toBe(
      true,
    );
  });

  it('flags a Lambda that reaches into a process folder', () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'lambdas', 'q'), { recursive: true });
    mkdirSync(join(repo, 'fargate', 'frontend'), { recursive: true });
    writeFileSync(join(repo, 'fargate', 'frontend', 'x.ts'), 'export const x = 1;\n');
    writeFileSync(join(repo, 'lambdas', 'q', 'h.ts'), "import { x } from '../../fargate/frontend/x.ts';\n");
    const found = findOuterArrowViolations(repo, { lambdas: ['core'], fargate: [] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /h\.ts:1: imports "..\/..\/fargate\/frontend\/x.ts" — lambdas\/ may not import fargate\//,
    );
  });

  it('finds a cycle only where there is one', () => {
    const g = (edges: [string, string][]) => {
      const m = new Map<string, Set<string>>();
      for (const [a, b] of edges) m.set(a, new Set([...(m.get(a) ?? []), b]));
      return m;
    };
    expect(
      findCycle(
        g([
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'c'],
        ]),
      ),
    ).toBeUndefined();
    expect(
      findCycle(
        g([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
  });

  it('flags the AWS SDK, fs, sockets and outer layers, and allows node:stream and node:crypto', () => {
    mkdirSync(join(dir, 'x'), { recursive: true });
    writeFileSync(
      join(dir, 'x', 'bad.ts'),
      [
        "import { S3Client } from '@aws-sdk/client-s3';",
        "import { readFileSync } from 'node:fs';",
        "import type { Socket } from 'node:net';",
        "export { open } from '../../adapters/embedded/open.ts';",
        "const m = await import('fs/promises');",
        "import { Readable } from 'node:stream';",
        "import { randomBytes } from 'node:crypto';",
      ].join('\n'),
    );
    const found = findViolations(join(dir, 'x'));
    expect(found).toHaveLength(5);
    expect(found[0]).toMatch(/bad\.ts:1: imports "@aws-sdk\/client-s3"/);
    expect(found.join('\n')).not.toMatch(/node:stream|node:crypto/);
  });
});
