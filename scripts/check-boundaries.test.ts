import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findViolations } from './check-boundaries.ts';

describe('import boundaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strato-boundaries-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the real core/ imports nothing it must not', () => {
    expect(findViolations(new URL('../core', import.meta.url).pathname)).toEqual([]);
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
    const found = findViolations(dir);
    expect(found).toHaveLength(5);
    expect(found[0]).toMatch(/bad\.ts:1: imports "@aws-sdk\/client-s3"/);
    expect(found.join('\n')).not.toMatch(/node:stream|node:crypto/);
  });
});
