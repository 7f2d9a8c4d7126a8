import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import { AdminIntegrityPage } from '../../views/pages/admin-integrity.js';
import { authorize } from '../auth/access.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { openProblems, recentRuns } from '../integrity/integrity.repo.js';
import type { ScrubPayload } from '../integrity/scrub.job.js';
import { activeJobs } from '../jobs/jobs.repo.js';
import type { JobQueue } from '../jobs/queue.js';

const RUNS_SHOWN = 50;

/** The scrub on demand: everything, fully decrypted. Shares the nightly slice's key, so the two never run stacked. */
const CHECK_EVERYTHING: ScrubPayload = { level: 'full', scope: 'all', trigger: 'admin' };

/** Scrub history, open integrity problems, and a check of everything on demand. */
export function integrityRoutes(deps: { db: Db; queue: JobQueue }) {
  const { db, queue } = deps;
  return new Hono<AppEnv>()
    .get('/admin/integrity', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const activeScrub = activeJobs(db).find((j) => j.kind === 'scrub');
      c.header('Cache-Control', 'no-store');
      return c.html(<AdminIntegrityPage page={pageContext(c)} runs={recentRuns(db, RUNS_SHOWN)} problems={openProblems(db)} activeScrub={activeScrub} />);
    })
    .post('/admin/integrity/check', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const job = queue.enqueue({ kind: 'scrub', payload: CHECK_EVERYTHING, dedupeKey: 'scrub', maxAttempts: 3 });
      // The same key may hand back a nightly slice already waiting or running rather than a new job.
      const everything = (JSON.parse(job.payload) as Partial<ScrubPayload>).scope === 'all';
      return c.redirect(`/admin/jobs?done=${everything ? 'scrub' : 'scrub-busy'}`, 303);
    });
}
