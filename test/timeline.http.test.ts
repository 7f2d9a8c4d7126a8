import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimeline } from '../bench/timeline.bench.js';
import type { Db } from '../server/db/client.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/**
 * The timeline over HTTP on synthetic libraries (rows inserted directly, no files): keyset pages,
 * what they leave out, jumping to a month, and the number of SQL statements a page costs.
 */

interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * Records every statement the database runs from now on: the run/get/all/iterate methods of
 * better-sqlite3's Statement class are wrapped, so statements prepared earlier and kept count too.
 */
function recordStatements(db: Db): { take(): Statement[]; stop(): void } {
  const proto = Object.getPrototypeOf(db.$client.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  let seen: Statement[] = [];
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = proto[method]!;
    originals.set(method, original);
    proto[method] = function (this: Database.Statement, ...params: unknown[]) {
      seen.push({ sql: this.source, params });
      return original.apply(this, params);
    };
  }
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
    stop() {
      for (const [method, original] of originals) proto[method] = original;
    },
  };
}

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;

beforeAll(async () => {
  v = await openTestVault();
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

const tileIds = (html: string) => [...html.matchAll(/<li class="tl-tile[^"]*" id="i(\d+)"/g)].map((m) => Number(m[1]));
const olderUrl = (html: string) => /hx-get="(\/timeline\?after=[^"]+)"/.exec(html)?.[1];
const newerUrl = (html: string) => /hx-get="(\/timeline\?before=[^"]+)"/.exec(html)?.[1];

/** The owner's timeline as the database orders it (OFFSET-free: the whole list, it is a test). */
function expectedOrder(ownerId: number): { id: number; t: number }[] {
  return v.ctx.db.$client
    .prepare('SELECT id, taken_at AS t FROM assets WHERE owner_id = ? AND trashed_at IS NULL AND archived_at IS NULL ORDER BY taken_at DESC, id DESC')
    .all(ownerId) as { id: number; t: number }[];
}

/** Follows the infinite scroll from the first page down, as htmx would, returning every tile id in order. */
async function scrollAll(client: WebClient): Promise<{ ids: number[]; pages: number }> {
  let html = await (await client.get('/')).text();
  const ids = tileIds(html);
  let pages = 1;
  for (let next = olderUrl(html); next; next = olderUrl(html)) {
    const res = await client.get(next, { 'hx-request': 'true' });
    expect(res.status).toBe(200);
    html = await res.text();
    // A fragment: just sections and the next sentinel, no page around them.
    expect(html).not.toContain('<html');
    ids.push(...tileIds(html));
    pages++;
  }
  return { ids, pages };
}

describe('timeline pages', () => {
  it('costs the same number of SQL statements at 50 items as at 500', async () => {
    const counts = async () => {
      const order = expectedOrder(v.ownerId);
      const mid = order[Math.floor(order.length / 2)]!;
      const urls = ['/', `/timeline?after=${mid.t}.${mid.id}`, `/?from=2025-05`, `/?at=${mid.t}.${mid.id}`, `/timeline?before=${mid.t}.${mid.id}`, '/timeline/months', `/items/${mid.id}`];
      const out: Record<string, number> = {};
      const recorder = recordStatements(v.ctx.db);
      try {
        for (const url of urls) {
          // Once to settle anything that happens now and then (a session's last-seen touch), then counted.
          expect((await web.get(url)).status).toBe(200);
          recorder.take();
          const res = await web.get(url);
          expect(res.status).toBe(200);
          await res.text();
          out[url.replace(/=[-0-9.]+/, '=…').replace(/\/items\/\d+/, '/items/…')] = recorder.take().length;
        }
      } finally {
        recorder.stop();
      }
      return out;
    };
    seedTimeline(v.ctx.db, { ownerId: v.ownerId, count: 50 });
    const small = await counts();
    const first = await web.get('/');
    expect(tileIds(await first.text())).toHaveLength(50);

    seedTimeline(v.ctx.db, { ownerId: v.ownerId, count: 450, first: 50 });
    const large = await counts();
    const page = await (await web.get('/')).text();
    expect(tileIds(page)).toHaveLength(150);
    expect(olderUrl(page)).toBeDefined();

    if (process.env.SHOW_COUNTS) console.log(large);
    expect(large).toEqual(small);
    // And few: session, the page's query or two, the damaged-items notice.
    for (const n of Object.values(large)) expect(n).toBeLessThanOrEqual(6);
  });

  it('reads every page through the partial timeline index, without sorting', async () => {
    const order = expectedOrder(v.ownerId);
    const mid = order[200]!;
    const recorder = recordStatements(v.ctx.db);
    try {
      for (const url of [`/timeline?after=${mid.t}.${mid.id}`, `/timeline?before=${mid.t}.${mid.id}`, `/items/${mid.id}`, '/timeline/months']) await (await web.get(url)).text();
    } finally {
      recorder.stop();
    }
    const timeline = recorder.take().filter((s) => /from "assets"|FROM assets/.test(s.sql) && /taken_at/.test(s.sql) && !/where "assets"."id" = \?/i.test(s.sql));
    expect(timeline.length).toBeGreaterThanOrEqual(5);
    for (const s of timeline) {
      const plan = (v.ctx.db.$client.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.params) as { detail: string }[]).map((r) => r.detail).join('\n');
      if (process.env.SHOW_PLANS) console.log(s.sql, "\n", plan);
      expect(plan, s.sql).toMatch(/USING (COVERING )?INDEX assets_timeline/);
      expect(plan, s.sql).not.toMatch(/TEMP B-TREE|SCAN assets$/m);
    }
  });

  it('walks the whole library newest first by keyset, each item once', async () => {
    const { ids, pages } = await scrollAll(web);
    expect(pages).toBe(4);
    expect(ids).toEqual(expectedOrder(v.ownerId).map((r) => r.id));
  });

  it('leaves trashed and archived items out, also when they sit on a page boundary', async () => {
    const order = expectedOrder(v.ownerId);
    const trashed = [order[0]!.id, order[149]!.id, order[150]!.id];
    const archived = [order[10]!.id, order[300]!.id];
    const set = (col: string, ids: number[]) => v.ctx.db.$client.prepare(`UPDATE assets SET ${col} = ? WHERE id IN (${ids.join(',')})`).run(Date.now());
    set('trashed_at', trashed);
    set('archived_at', archived);
    const { ids } = await scrollAll(web);
    expect(ids).toHaveLength(500 - 5);
    for (const id of [...trashed, ...archived]) expect(ids).not.toContain(id);
    expect(ids).toEqual(expectedOrder(v.ownerId).map((r) => r.id));
  });

  it('groups a page by day under month headings, in the wall-clock time where each was taken', async () => {
    const html = await (await web.get('/')).text();
    const months = [...html.matchAll(/<section class="tl-month" data-month="(\d{4}-\d{2})"><h2 class="tl-month-h">([^<]+)<\/h2>/g)].map((m) => [m[1], m[2]]);
    expect(months[0]).toEqual(['2025-06', 'June 2025']);
    const days = [...html.matchAll(/data-day="(\d{4}-\d{2}-\d{2})"/g)].map((m) => m[1]!);
    expect(new Set(days).size).toBe(days.length);
    expect([...days].sort().reverse()).toEqual(days);
    // Every tile sits in a justified row with its aspect class, links to its viewer and carries its placeholder.
    expect(html).toMatch(/<li class="tl-tile tl-a-\d+" id="i\d+" data-thumbhash="[A-Za-z0-9+/=]+"><a class="tl-link" href="\/items\/\d+"><img src="\/media\/[0-9a-f]{32}"/);
    expect(html).toContain('<script type="module" src="/static/timeline.js">');
    // "On this day" is fetched after the page, from the top of the library only.
    expect(html).toContain('hx-get="/memories" hx-trigger="load"');
  });

  it('jumps to a month: starts with its newest item, and can load newer ones above', async () => {
    const order = expectedOrder(v.ownerId);
    const month = '2025-04';
    const inMonth = order.filter((r) => new Date(r.t).toISOString().startsWith(month));
    expect(inMonth.length).toBeGreaterThan(0);
    const res = await web.get(`/?from=${month}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(tileIds(html)[0]).toBe(inMonth[0]!.id);
    expect(html).toContain('From April 2025.');
    // Above it: the newer items, in one fragment that ends where this page starts.
    const up = newerUrl(html)!;
    expect(up).toBeDefined();
    const fragment = await (await web.get(up, { 'hx-request': 'true' })).text();
    const newer = tileIds(fragment);
    const start = order.findIndex((r) => r.id === inMonth[0]!.id);
    expect(newer).toEqual(order.slice(Math.max(0, start - 150), start).map((r) => r.id));
    // A month before the first photo: an empty page that says so, with the way back.
    const empty = await (await web.get('/?from=1900-01')).text();
    expect(tileIds(empty)).toEqual([]);
    expect(empty).toContain('There are no photos or videos from before then.');
  });

  it('opens at one item (the viewer’s way back), with it first', async () => {
    const order = expectedOrder(v.ownerId);
    const item = order[222]!;
    const html = await (await web.get(`/?at=${item.t}.${item.id}`)).text();
    expect(tileIds(html)[0]).toBe(item.id);
    expect(newerUrl(html)).toBeDefined();
  });

  it('lists the months with photos (fragment for htmx, page otherwise)', async () => {
    const expected = (
      v.ctx.db.$client
        .prepare(
          "SELECT strftime('%Y-%m', taken_at / 1000.0, 'unixepoch') AS m FROM assets WHERE owner_id = ? AND trashed_at IS NULL AND archived_at IS NULL GROUP BY m ORDER BY m DESC",
        )
        .all(v.ownerId) as { m: string }[]
    ).map((r) => r.m);
    const fragment = await (await web.get('/timeline/months', { 'hx-request': 'true' })).text();
    expect([...fragment.matchAll(/href="\/\?from=(\d{4}-\d{2})"/g)].map((m) => m[1])).toEqual(expected);
    expect(fragment).not.toContain('<html');
    const page = await web.get('/timeline/months');
    expect(page.headers.get('vary')).toContain('HX-Request');
    expect(await page.text()).toContain('<h1>Jump to a month</h1>');
  });

  it('refuses malformed positions with a clear message', async () => {
    for (const url of ['/timeline?after=abc', '/timeline?before=1.2.3', '/timeline', '/?from=2024-13', '/?at=x']) {
      const res = await web.get(url);
      expect(res.status, url).toBe(400);
      expect(await res.text()).toContain('not valid');
    }
  });

  it('shows nobody else’s items, and asks the signed-out to sign in', async () => {
    await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
    const bob = new WebClient(server.url);
    await bob.signIn('bob', TEST_PASSWORD);
    const html = await (await bob.get('/')).text();
    expect(tileIds(html)).toEqual([]);
    const order = expectedOrder(v.ownerId);
    const fragment = await (await bob.get(`/timeline?after=${order[0]!.t + 1}.0`)).text();
    expect(tileIds(fragment)).toEqual([]);
    const anonymous = new WebClient(server.url);
    const res = await anonymous.get('/timeline?after=1.1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
    // htmx asking for the next page after the session ended: the whole page goes to sign-in.
    const scrolled = await anonymous.get('/timeline?after=1.1', { 'hx-request': 'true' });
    expect(scrolled.headers.get('hx-redirect')).toBe('/login?next=%2F');
    expect(await scrolled.text()).toBe('');
  });
});
