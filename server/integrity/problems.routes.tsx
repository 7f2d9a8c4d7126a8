import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import { ProblemsPage, type DamagedItem } from '../../views/pages/problems.js';
import { authorize } from '../auth/access.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { openProblems } from './integrity.repo.js';

/**
 * The user's own photos and videos with an open integrity problem, one entry per item. Only items they
 * own: openProblems filters by owner, so nobody learns about anyone else's files here.
 */
export function ownDamagedItems(db: Db, userId: number): DamagedItem[] {
  const byAsset = new Map<number, DamagedItem>();
  for (const p of openProblems(db, userId)) {
    if (p.assetId === null) continue;
    const original = p.blobKind === 'original';
    const seen = byAsset.get(p.assetId);
    if (!seen) {
      byAsset.set(p.assetId, { assetId: p.assetId, name: p.itemName ?? 'Unnamed item', foundAt: p.foundAt, original, missing: original && p.kind === 'missing' });
      continue;
    }
    if (p.foundAt < seen.foundAt) seen.foundAt = p.foundAt;
    if (original) {
      seen.original = true;
      seen.missing = p.kind === 'missing';
    }
  }
  return [...byAsset.values()].sort((a, b) => a.name.localeCompare(b.name) || a.assetId - b.assetId);
}

/** GET /problems: what a scrub found wrong with the signed-in user's own items. */
export function problemsRoutes(deps: { db: Db }) {
  return new Hono<AppEnv>().get('/problems', (c) => {
    authorize(c.var.actor, { do: 'browse' });
    return c.html(<ProblemsPage page={pageContext(c)} items={ownDamagedItems(deps.db, c.var.actor.user.id)} />);
  });
}
