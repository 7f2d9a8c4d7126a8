import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateJob } from '../server/jobs/jobs.repo.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let dir: string;
let admin: WebClient;
let anna: WebClient;
let bert: WebClient;
let opa: WebClient;
let annaAssetId: number;

const sql = <T = Record<string, unknown>>(q: string, ...args: unknown[]) => v.ctx.db.$client.prepare(q).all(...args) as T[];
const jobsOf = (kind: string) => sql<{ id: number; state: string; payload: string }>('SELECT id, state, payload FROM jobs WHERE kind = ? ORDER BY id', kind);
const activeJobs = () => sql<{ id: number; kind: string }>("SELECT id, kind FROM jobs WHERE state IN ('queued', 'running') ORDER BY id");
const schedule = (name: string) => sql<{ cron: string; enabled: number; last_job_id: number | null }>('SELECT cron, enabled, last_job_id FROM schedules WHERE name = ?', name)[0]!;
/** Visible text of a page: tags dropped and whitespace squeezed, so assertions read like the page does. */
const text = async (res: Response) => (await res.text()).replace(/<[^>]+>/g, ' ').replace(/&#39;|&#x27;/g, "'").replace(/\s+/g, ' ');

const pages = ['/admin/jobs', '/admin/schedules', '/admin/integrity'];
/** Every admin POST of this area, with a form that would change something if it were allowed. */
const actions = (): [string, Record<string, string>][] => [
  ['/admin/schedules/scrub', { cron: '0 5 * * *' }],
  ['/admin/schedules/db-snapshot/run', {}],
  ['/admin/integrity/check', {}],
  [`/admin/jobs/${v.ctx.background.queue.enqueue({ kind: 'session-cleanup' }).id}/cancel`, {}],
];

async function signedIn(username: string): Promise<WebClient> {
  const web = new WebClient(server.url);
  await web.signIn(username, TEST_PASSWORD);
  return web;
}

/** Cancels whatever is waiting, so each test starts from an empty queue. */
function clearQueue() {
  for (const job of activeJobs()) updateJob(v.ctx.db, job.id, { state: 'cancelled', finishedAt: new Date() });
}

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'olga', role: 'admin', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'bert', role: 'member', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'opa', role: 'viewer', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-admin-jobs-');
  const photo = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'a.jpg')), originalName: 'Summer at the lake.jpg' });
  annaAssetId = (photo as { assetId: number }).assetId;
  server = await listen(v.ctx);
  admin = await signedIn('olga');
  anna = await signedIn('anna');
  bert = await signedIn('bert');
  opa = await signedIn('opa');
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  if (dir) await removeFixtureDir(dir);
});

describe('who may use the jobs, schedules and integrity pages', () => {
  it('serves each page to the admin, linked from the admin overview', async () => {
    const overview = await (await admin.get('/admin')).text();
    for (const path of pages) {
      expect(overview).toContain(`href="${path}"`);
      const res = await admin.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    }
  });

  it('refuses members and viewers with 403 on every route, and changes nothing', async () => {
    clearQueue();
    const before = { jobs: sql('SELECT id, state FROM jobs'), scrub: schedule('scrub') };
    for (const [name, web] of [['bert', bert], ['opa', opa]] as const) {
      for (const path of pages) expect((await web.get(path)).status, `${name} GET ${path}`).toBe(403);
      await web.get('/');
      for (const [path, form] of actions()) expect((await web.post(path, form)).status, `${name} POST ${path}`).toBe(403);
    }
    expect(schedule('scrub')).toEqual(before.scrub);
    expect(jobsOf('scrub')).toEqual([]);
    expect(jobsOf('db-snapshot')).toEqual([]);
    // The cancel targets were made by actions() itself (one per user): still waiting.
    expect(activeJobs().map((j) => j.kind)).toEqual(['session-cleanup', 'session-cleanup']);
    expect(sql('SELECT id, state FROM jobs').length).toBe(before.jobs.length + 2);
  });

  it('sends anonymous visitors to the sign-in page, and refuses their posts', async () => {
    const web = new WebClient(server.url);
    for (const path of [...pages, '/problems']) {
      const res = await web.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    await web.get('/login');
    for (const [path, form] of actions()) expect((await web.post(path, form)).status, `POST ${path}`).toBe(401);
  });

  it('refuses every post without the CSRF token, even from the admin', async () => {
    clearQueue();
    const cron = schedule('scrub').cron;
    await admin.get('/admin/jobs');
    for (const [path, form] of actions()) expect((await admin.post(path, { ...form, _csrf: '' })).status, `POST ${path}`).toBe(403);
    expect(schedule('scrub').cron).toBe(cron);
    expect(jobsOf('scrub')).toEqual([]);
    expect(jobsOf('db-snapshot')).toEqual([]);
    expect(activeJobs().map((j) => j.kind)).toEqual(['session-cleanup']);
  });
});

describe('schedules', () => {
  it('lists every schedule with its description, expression and state', async () => {
    const page = await text(await admin.get('/admin/schedules'));
    for (const spec of v.ctx.background.scheduler.specs) {
      expect(page).toContain(spec.description);
      expect(page).toContain(spec.defaultCron);
    }
    expect(page).toContain('Never');
    expect(page).toContain('Database snapshot');
  });

  it('shows when each schedule runs next while the scheduler is running', async () => {
    v.ctx.background.scheduler.start();
    try {
      const html = await (await admin.get('/admin/schedules')).text();
      const nextRuns = [...html.matchAll(/data-testid="next-run">(.*?)<\/dd>/g)].map((m) => m[1]);
      expect(nextRuns).toHaveLength(v.ctx.background.scheduler.specs.length);
      for (const cell of nextRuns) expect(cell).toMatch(/<time datetime="[^"]+">/);
    } finally {
      v.ctx.background.scheduler.stop();
    }
  });

  it('saves a new expression and pausing, and shows them', async () => {
    await admin.get('/admin/schedules');
    const res = await admin.post('/admin/schedules/scrub', { cron: ' 0 4 * * 6 ' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/schedules?done=saved');
    expect(schedule('scrub')).toMatchObject({ cron: '0 4 * * 6', enabled: 0 });
    const html = await (await admin.get('/admin/schedules?done=saved')).text();
    const card = html.slice(html.indexOf('data-schedule="scrub"'), html.indexOf('data-schedule="db-snapshot"'));
    expect(card).toContain('value="0 4 * * 6"');
    expect(card).toContain('Paused');
    expect(html).toContain('Saved.');

    expect((await admin.post('/admin/schedules/scrub', { cron: '30 2 * * *', enabled: 'yes' })).status).toBe(303);
    expect(schedule('scrub')).toMatchObject({ cron: '30 2 * * *', enabled: 1 });
  });

  it('refuses a bad expression with 422 and the scheduler’s message, keeping what was typed', async () => {
    await admin.get('/admin/schedules');
    const res = await admin.post('/admin/schedules/db-snapshot', { cron: 'every night', enabled: 'yes' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html.replace(/&#39;|&#x27;/g, "'")).toContain("'every night' is not a cron expression. Example: '30 2 * * *' is every night at 02:30.");
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="every night"');
    expect(schedule('db-snapshot')).toMatchObject({ cron: '15 3 * * *', enabled: 1 });
  });

  it('answers 404 for a schedule that does not exist', async () => {
    await admin.get('/admin/schedules');
    expect((await admin.post('/admin/schedules/nope', { cron: '0 4 * * *', enabled: 'yes' })).status).toBe(404);
    expect((await admin.post('/admin/schedules/nope/run')).status).toBe(404);
  });

  it('runs a schedule now: the job shows on the jobs page and as its last run', async () => {
    clearQueue();
    await admin.get('/admin/schedules');
    const res = await admin.post('/admin/schedules/db-snapshot/run');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/jobs?done=queued');
    const [job] = jobsOf('db-snapshot');
    expect(job).toMatchObject({ state: 'queued' });
    expect(schedule('db-snapshot').last_job_id).toBe(job!.id);

    const jobsPage = await (await admin.get('/admin/jobs?done=queued')).text();
    const active = jobsPage.slice(jobsPage.indexOf('data-testid="active-jobs"'), jobsPage.indexOf('<h2>Finished'));
    expect(active).toContain(`data-job="${job!.id}"`);
    expect(active).toContain('Database snapshot');
    expect(active).toContain('Waiting');
    expect(jobsPage).toContain('The job is queued');

    const schedulesPage = await text(await admin.get('/admin/schedules'));
    expect(schedulesPage).toMatch(new RegExp(`job #${job!.id} ?: waiting`));
  });
});

describe('jobs', () => {
  it('shows progress as percent, amounts and time left for a running job', async () => {
    clearQueue();
    const job = v.ctx.background.queue.enqueue({ kind: 'scrub', payload: { level: 'full', scope: 'all', trigger: 'admin' } });
    updateJob(v.ctx.db, job.id, {
      state: 'running',
      attempts: 1,
      startedAt: new Date(Date.now() - 60_000),
      progress: JSON.stringify({ done: 250_000_000, total: 1_000_000_000, unit: 'bytes', note: '12 files checked' }),
      lastError: 'disk was busy',
    });
    const page = await text(await admin.get('/admin/jobs'));
    expect(page).toContain('Integrity check');
    expect(page).toContain('Running');
    expect(page).toContain('25% · 250 MB of 1.0 GB · about 3 min left');
    expect(page).toContain('12 files checked');
    expect(page).toContain('disk was busy');
    expect(page).toContain('1 of 5');
    updateJob(v.ctx.db, job.id, { state: 'done', finishedAt: new Date(), lastError: null });
    expect(await text(await admin.get('/admin/jobs'))).toContain('Nothing is running or waiting.');
  });

  it('cancels a queued job and lists it among the finished ones', async () => {
    clearQueue();
    const job = v.ctx.background.queue.enqueue({ kind: 'db-snapshot', payload: { reason: 'daily' } });
    await admin.get('/admin/jobs');
    const res = await admin.post(`/admin/jobs/${job.id}/cancel`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/jobs?done=cancelled');
    expect(sql('SELECT state FROM jobs WHERE id = ?', job.id)[0]).toEqual({ state: 'cancelled' });
    const html = await (await admin.get('/admin/jobs?done=cancelled')).text();
    expect(html).toContain('The job was cancelled.');
    const finished = html.slice(html.indexOf('data-testid="finished-jobs"'));
    expect(finished).toContain(`data-job="${job.id}"`);
    expect(finished).toContain('Cancelled before it started.');
    // Cancelling it again changes nothing.
    expect((await admin.post(`/admin/jobs/${job.id}/cancel`)).headers.get('location')).toBe('/admin/jobs?done=finished');
  });

  it('answers 404 for a job that does not exist', async () => {
    await admin.get('/admin/jobs');
    expect((await admin.post('/admin/jobs/999999/cancel')).status).toBe(404);
  });
});

describe('integrity', () => {
  it('"Check everything now" queues one full scrub, however often it is pressed', async () => {
    clearQueue();
    const page = await text(await admin.get('/admin/integrity'));
    expect(page).toContain('Check everything now');
    for (let i = 0; i < 2; i++) {
      const res = await admin.post('/admin/integrity/check');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/jobs?done=scrub');
    }
    const active = activeJobs().filter((j) => j.kind === 'scrub');
    expect(active).toHaveLength(1);
    expect(JSON.parse(jobsOf('scrub').find((j) => j.id === active[0]!.id)!.payload)).toEqual({ level: 'full', scope: 'all', trigger: 'admin' });
    expect(await text(await admin.get('/admin/integrity'))).toContain(`An integrity check is already waiting to run: job #${active[0]!.id}`);
    const jobsPage = await text(await admin.get('/admin/jobs?done=scrub'));
    expect(jobsPage).toContain('decrypt and verify, everything, asked for by an admin');
    clearQueue();
  });

  describe('after a scrub found a damaged original', () => {
    beforeAll(async () => {
      const { original_blob_id: blobId } = sql<{ original_blob_id: string }>('SELECT original_blob_id FROM assets WHERE id = ?', annaAssetId)[0]!;
      const file = v.ctx.store.pathFor(blobId);
      const bytes = await readFile(file);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      await writeFile(file, bytes);
      const run = await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
      expect(run.problemsFound).toBe(1);
    });

    it('shows the admin the run and the item by name', async () => {
      const html = await (await admin.get('/admin/integrity')).text();
      const runs = html.slice(html.indexOf('data-testid="runs"'));
      expect(runs).toContain('Full decrypt');
      expect(runs).toContain('Everything');
      expect(runs).toContain('Admin');
      expect(runs).toContain('Done');
      expect(runs).toMatch(/MB\/s|—/);
      const problems = html.slice(html.indexOf('data-testid="problems"'), html.indexOf('<h2>History'));
      expect(problems).toContain('Summer at the lake.jpg');
      expect(problems).toMatch(/Checksum mismatch|Does not decrypt|Wrong size/);
      expect(problems).toContain('quarantine');
      expect(problems).toContain('no replica is configured');
    });

    it('tells the owner on the library page and lists the item on /problems', async () => {
      const library = await (await anna.get('/')).text();
      expect(library).toContain('1 of your photos or videos is damaged');
      expect(library).toContain('href="/problems"');
      const res = await anna.get('/problems');
      expect(res.status).toBe(200);
      const page = await text(res);
      expect(page).toContain('Summer at the lake.jpg');
      expect(page).toContain(
        'The stored copy no longer matches what was uploaded. Heirloom moved it aside and could not repair it from an off-site copy. Keep your own copy if you still have it.',
      );
    });

    it('tells nobody else', async () => {
      for (const web of [bert, opa]) {
        expect(await (await web.get('/')).text()).not.toContain('damaged');
        const page = await text(await web.get('/problems'));
        expect(page).toContain('Nothing of yours is damaged.');
        expect(page).not.toContain('Summer at the lake.jpg');
      }
    });
  });
});
