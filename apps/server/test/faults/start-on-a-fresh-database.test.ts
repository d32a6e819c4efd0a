// The real server started on a database that exists but holds nothing yet, as `pnpm start` does on a
// fresh install: the schema must be in place before any of the server's own work reads it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { ServerProcess } from '../helpers/server-process.js';
import { WAIT_CAP_MS } from '../helpers/waits.js';

it('migrates a fresh database before its background work starts: the first sweep at start succeeds', async () => {
  const database = await createTestDatabase({ migrate: false });
  const uploads = await mkdtemp(join(tmpdir(), 'parley-uploads-'));
  // What a crash can leave behind, older than the sweeps' grace (an hour): a blob no upload refers to,
  // which the orphan sweep at start looks up in the database before deleting it, and a temporary file,
  // which it removes next. Both are gone only if the database answered.
  const key = 'ab'.repeat(32);
  const orphan = join(uploads, 'blobs', key.slice(0, 2), key.slice(2, 4), key);
  const stale = join(uploads, 'tmp', 'left-by-a-crash');
  await mkdir(join(orphan, '..'), { recursive: true });
  await mkdir(join(uploads, 'tmp'), { recursive: true });
  await writeFile(orphan, 'a blob');
  await writeFile(stale, 'partial upload');
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  for (const path of [orphan, stale]) await utimes(path, twoHoursAgo, twoHoursAgo);
  const server = await ServerProcess.start({ databaseUrl: database.url, env: { UPLOAD_DIR: uploads } });
  try {
    await expect
      .poll(() => existsSync(stale) || existsSync(orphan), { timeout: WAIT_CAP_MS, message: server.logs() })
      .toBe(false);
    expect(server.logs()).not.toMatch(/upload sweep failed/);
  } finally {
    await server.stop();
    await database.drop();
    await rm(uploads, { recursive: true, force: true });
  }
});
