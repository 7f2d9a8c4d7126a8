import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from './client.js';
import { migrateDb } from './migrate.js';

describe('migrations', () => {
  it('applies at boot, is idempotent, and sets the pragmas', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'heirloom-db-')), 'h.db');
    const db = openDb(file);
    expect(migrateDb(db).applied).toBeGreaterThan(0);
    expect(migrateDb(db).applied).toBe(0);
    const pragma = (name: string) => db.$client.pragma(name, { simple: true });
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('foreign_keys')).toBe(1);
    expect(pragma('busy_timeout')).toBe(5000);
    expect(pragma('synchronous')).toBe(2);
    db.$client.close();
  });

  it('refuses a database migrated by a newer Heirloom', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'heirloom-db-')), 'h.db');
    const db = openDb(file);
    migrateDb(db);
    db.$client.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('from-the-future', Date.now() + 10 * 365 * 86400_000);
    expect(() => migrateDb(db)).toThrow(/created or upgraded by a newer version of Heirloom/);
    db.$client.close();
  });
});
