import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, expect, it } from 'vitest';
import { openDb } from '../server/db/client.js';
import { migrateDb } from '../server/db/migrate.js';
import { migrationsDir } from '../server/paths.js';

/** 0008_places remakes the search table with a place column: what was searchable before still is, and places join it. */

let dir: string;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('keeps every item searchable across the upgrade and indexes places from then on', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-places-migrate-'));
  // The migrations as they were before places: the same files, the journal cut before 0008.
  const before = path.join(dir, 'migrations');
  await cp(migrationsDir, before, { recursive: true });
  const journalFile = path.join(before, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === '0008_places'));
  await writeFile(journalFile, JSON.stringify(journal));

  const db = openDb(path.join(dir, 'h.db'));
  migrate(db, { migrationsFolder: before });
  const run = (statement: string, ...params: unknown[]) => db.$client.prepare(statement).run(...params);
  const matches = (q: string) => (db.$client.prepare('SELECT rowid FROM asset_search WHERE asset_search MATCH ? ORDER BY rowid').all(q) as { rowid: number }[]).map((r) => r.rowid);
  // Only the search rows matter here, not the user or blob they would belong to.
  run('PRAGMA foreign_keys = OFF');
  for (const [id, name, description] of [[1, 'tram.jpg', 'The yellow tram'], [2, 'boat.jpg', null]] as const) {
    run(`INSERT INTO assets (id, owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, taken_at_source) VALUES (?, 1, ?, ?, 'photo', 'image/jpeg', ?, 1, 0, 'file')`, id, `blob-${id}`, String(id).repeat(64), name);
    run(`INSERT INTO asset_metadata (asset_id, make, latitude, longitude, description, keywords) VALUES (?, 'Fujifilm', 38.71, -9.14, ?, '["holiday"]')`, id, description);
  }
  run('PRAGMA foreign_keys = ON');

  expect(migrateDb(db).applied).toBe(1);
  expect(matches('"tram"*')).toEqual([1]);
  expect(matches('"yellow"*')).toEqual([1]);
  expect(matches('"holiday"*')).toEqual([1, 2]);
  expect(matches('"fujifilm"*')).toEqual([1, 2]);
  expect(matches('place : "lisbon"*')).toEqual([]);

  run(`UPDATE asset_metadata SET place = 'Lisbon, Portugal' WHERE asset_id = 2`);
  expect(matches('"lisbon"*')).toEqual([2]);
  expect(matches('"yellow"*')).toEqual([1]);
  run('UPDATE assets SET original_name = ? WHERE id = 2', 'ferry.jpg');
  expect(matches('"ferry"*')).toEqual([2]);
  run('DELETE FROM assets WHERE id = 2');
  expect(matches('"lisbon"*')).toEqual([]);
  db.$client.close();
});
