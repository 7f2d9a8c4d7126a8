import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assets } from '../library/assets.table.js';
import { integrityProblems, scrubRuns, type IntegrityProblem, type ScrubRun } from './integrity.table.js';

export function startRun(db: Db, run: Pick<ScrubRun, 'level' | 'scope' | 'trigger'>): ScrubRun {
  return db.insert(scrubRuns).values({ ...run, state: 'running', pid: process.pid }).returning().get();
}

export function updateRun(db: Db, id: number, changes: Partial<typeof scrubRuns.$inferInsert>): void {
  db.update(scrubRuns).set(changes).where(eq(scrubRuns.id, id)).run();
}

/** Runs left 'running' by processes that are gone were cut short. */
export function markInterruptedRuns(db: Db, isAlive: (pid: number) => boolean): number {
  const stale = db.select().from(scrubRuns).where(eq(scrubRuns.state, 'running')).all().filter((r) => !isAlive(r.pid));
  if (stale.length > 0) db.update(scrubRuns).set({ state: 'interrupted', finishedAt: new Date() }).where(inArray(scrubRuns.id, stale.map((r) => r.id))).run();
  return stale.length;
}

export function recentRuns(db: Db, limit: number): ScrubRun[] {
  return db.select().from(scrubRuns).orderBy(desc(scrubRuns.id)).limit(limit).all();
}

export function openProblemFor(db: Db, blobId: string | null, kind?: IntegrityProblem['kind']): IntegrityProblem | undefined {
  const where = blobId === null ? and(sql`${integrityProblems.blobId} IS NULL`, eq(integrityProblems.kind, kind!)) : eq(integrityProblems.blobId, blobId);
  return db.select().from(integrityProblems).where(and(where, eq(integrityProblems.state, 'open'))).get();
}

export function recordProblem(db: Db, problem: typeof integrityProblems.$inferInsert): IntegrityProblem {
  return db.insert(integrityProblems).values(problem).returning().get();
}

export function resolveProblem(db: Db, id: number, state: 'repaired' | 'regenerated'): void {
  db.update(integrityProblems).set({ state, resolvedAt: new Date() }).where(eq(integrityProblems.id, id)).run();
}

export function updateProblem(db: Db, id: number, changes: Partial<typeof integrityProblems.$inferInsert>): void {
  db.update(integrityProblems).set(changes).where(eq(integrityProblems.id, id)).run();
}

/** Open problems, with the item's name where there is one; only one owner's when ownerId is given. */
export function openProblems(db: Db, ownerId?: number): (IntegrityProblem & { itemName: string | null })[] {
  return db
    .select({ problem: integrityProblems, itemName: assets.originalName })
    .from(integrityProblems)
    .leftJoin(assets, eq(assets.id, integrityProblems.assetId))
    .where(and(eq(integrityProblems.state, 'open'), ownerId === undefined ? undefined : eq(assets.ownerId, ownerId)))
    .orderBy(desc(integrityProblems.id))
    .all()
    .map((r) => ({ ...r.problem, itemName: r.itemName }));
}
