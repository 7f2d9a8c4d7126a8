import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSearchLibrary } from '../bench/search.bench.js';
import type { Actor } from '../server/auth/actor.js';
import { listCollection } from '../server/library/organise.repo.js';
import { memoriesQuery } from '../server/search/memories.js';
import { libraryVersion, ownCameras } from '../server/search/search.repo.js';
import { SearchService, parseSearchQuery } from '../server/search/search.service.js';
import { findUserById } from '../server/users/users.repo.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';

/**
 * Which index memories, search and the collection pages walk (EXPLAIN QUERY PLAN), on a small library:
 * 2 000 items with their metadata and a second member's 500, then ANALYZE. The plans are the same at
 * 100 000 items; how fast they run at 10 000 and 100 000 is measured in bench/search.bench.ts, not here.
 */

let v: TestVault;
let actor: Actor;
let search: SearchService;

beforeAll(async () => {
  v = await openTestVault();
  const bob = await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  seedSearchLibrary(v.ctx.db, v.ownerId, 2000);
  seedSearchLibrary(v.ctx.db, bob.id, 500);
  v.ctx.db.$client.exec('ANALYZE');
  actor = { user: findUserById(v.ctx.db, v.ownerId)!, via: { kind: 'session', sessionId: 0 } };
  search = new SearchService({ db: v.ctx.db });
});

afterAll(async () => {
  await v?.cleanup();
});

/** EXPLAIN QUERY PLAN of one statement, one line per step. */
function explain(sql: string, params: unknown[]): string[] {
  return (v.ctx.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

/** The plan of the one SELECT that `fn` runs, caught with its parameters where drizzle prepares and runs it. */
function planOf(fn: () => unknown): string[] {
  const client = v.ctx.db.$client;
  const prepare = client.prepare;
  const selects: { sql: string; params: unknown[] }[] = [];
  client.prepare = ((sql: string) => {
    const stmt = prepare.call(client, sql);
    for (const method of ['all', 'get', 'run', 'iterate'] as const) {
      const original = stmt[method] as (...params: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
        if (/^\s*select\b/i.test(sql)) selects.push({ sql, params });
        return original.apply(stmt, params);
      };
    }
    return stmt;
  }) as typeof client.prepare;
  try {
    fn();
  } finally {
    client.prepare = prepare;
  }
  expect(selects, 'statements run').toHaveLength(1);
  return explain(selects[0]!.sql, selects[0]!.params);
}

const searchPlan = (params: Record<string, string>) => planOf(() => search.search(actor, parseSearchQuery(params).query));

/** A step that reads the whole assets table, or walks all of an owner's rows in the (owner_id, taken_at) indexes. */
const SCAN_ASSETS = /^SCAN (a|assets)\b/;
const OWNER_WALK = /USING (COVERING )?INDEX assets_(owner_taken|timeline) \(owner_id=\?\)$/;

describe('memories plan', () => {
  it('uses one index range per year, not a scan of the library', () => {
    const { sql, params } = memoriesQuery(v.ctx.db, v.ownerId, new Date(2025, 6, 4))!.toSQL();
    const plan = explain(sql, params);
    expect(plan.some((d) => /SEARCH (a|assets) USING INDEX assets_(timeline|owner_taken) \(owner_id=\? AND taken_at>\? AND taken_at<\?\)/.test(d)), plan.join('\n')).toBe(true);
    expect(plan.some((d) => SCAN_ASSETS.test(d)), plan.join('\n')).toBe(false);
  });
});

describe('search plans', () => {
  it.each([
    ['a word', { q: 'grandma' }],
    ['a prefix', { q: 'gr' }],
    ['a rare word', { q: 'IMG_4242' }],
    ['a word and a camera', { q: 'beach', camera: 'Canon EOS R6' }],
    ['a word, dates and a kind', { q: 'lake', from: '2010-01-01', to: '2012-12-31', kind: 'photo' }],
  ])('finds %s through the full-text index, never scanning the library', (_, params) => {
    const plan = searchPlan(params);
    expect(plan.some((d) => /^SCAN asset_search VIRTUAL TABLE INDEX \d+:.*M/.test(d)), plan.join('\n')).toBe(true);
    expect(plan.some((d) => SCAN_ASSETS.test(d) || OWNER_WALK.test(d)), plan.join('\n')).toBe(false);
    expect(plan.some((d) => /^SCAN asset_metadata\b/.test(d)), plan.join('\n')).toBe(false);
  });

  it('reads a date range from the (owner_id, taken_at) index', () => {
    const plan = searchPlan({ from: '2015-06-01', to: '2015-06-30' });
    expect(plan, plan.join('\n')).toContain('SEARCH assets USING INDEX assets_owner_taken (owner_id=? AND taken_at>? AND taken_at<?)');
  });

  it('filters by camera and favourite in one sequential pass, not by walking the owner index row by row', () => {
    const plan = searchPlan({ camera: 'Google Pixel 7', favorite: '1' });
    expect(plan.some((d) => OWNER_WALK.test(d)), plan.join('\n')).toBe(false);
    expect(plan, plan.join('\n')).toContain('SEARCH asset_metadata USING INTEGER PRIMARY KEY (rowid=?)');
  });
});

describe('collection plans', () => {
  it('lists the trash from its own index, looking up each shown item\'s motion part by key', () => {
    const plan = planOf(() => listCollection(v.ctx.db, v.ownerId, 'trash', 241));
    expect(plan, plan.join('\n')).toEqual([
      'SEARCH assets USING INDEX assets_trashed (owner_id=? AND trashed_at>?)',
      'CORRELATED SCALAR SUBQUERY 1',
      'SEARCH asset_motion USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
  });

  it.each(['favorites', 'archive'] as const)('lists %s in one sequential pass, not by walking the owner index row by row', (kind) => {
    const plan = planOf(() => listCollection(v.ctx.db, v.ownerId, kind, 241));
    expect(plan.some((d) => OWNER_WALK.test(d)), plan.join('\n')).toBe(false);
  });
});

describe('camera list plans', () => {
  it('joins the metadata by key', () => {
    const plan = planOf(() => ownCameras(v.ctx.db, v.ownerId));
    expect(plan, plan.join('\n')).toContain('SEARCH asset_metadata USING INTEGER PRIMARY KEY (rowid=?)');
  });

  it("checks the cached list's freshness from the index alone", () => {
    const plan = planOf(() => libraryVersion(v.ctx.db, v.ownerId));
    expect(plan, plan.join('\n')).toEqual(['SEARCH assets USING COVERING INDEX assets_owner_taken (owner_id=?)']);
  });
});
