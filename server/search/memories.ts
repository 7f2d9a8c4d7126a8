import { and, eq, isNotNull, isNull, min, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { timelineColumns, type TimelineItem } from '../library/assets.repo.js';
import { assets } from '../library/assets.table.js';

export type MemoryItem = TimelineItem;

export interface MemoryYear {
  year: number;
  yearsAgo: number;
  items: MemoryItem[];
  /** How many more that day holds than are shown. */
  more: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Time zones reach from UTC−12 to UTC+14: a local day lies within this much of the same UTC day. */
const ZONE_SLACK = 14 * HOUR;
/** A memory is a glimpse, not the whole day. */
const PER_YEAR = 12;
const OLDEST_YEAR = 1800;

/**
 * The owner's photos and videos taken on today's month and day in earlier years, newest year first.
 * The day is the wall-clock day the photo was taken (taken_at shifted by its own zone offset), and
 * "today" is the server's local date. On 28 February of a non-leap year, 29 February counts too.
 *
 * Index-friendly: instead of computing the day of every item, it asks the (owner_id, taken_at) index
 * for one narrow range per year (the day widened by ±14 h for time zones) and checks the exact day only
 * for the few rows those ranges hold, so its cost follows the number of years and matches, not the
 * size of the library.
 */
export function memoriesOn(db: Db, ownerId: number, now: Date): MemoryYear[] {
  const query = memoriesQuery(db, ownerId, now);
  if (!query) return [];
  const rows = query.all();
  const thisYear = now.getFullYear();
  const byYear = new Map<number, MemoryYear>();
  for (const { year, ...item } of rows) {
    let group = byYear.get(year);
    if (!group) byYear.set(year, (group = { year, yearsAgo: thisYear - year, items: [], more: 0 }));
    if (group.items.length < PER_YEAR) group.items.push(item);
    else group.more++;
  }
  return [...byYear.values()];
}

/** The statement memoriesOn runs (exposed so a test can check its query plan); undefined when no earlier year can match. */
export function memoriesQuery(db: Db, ownerId: number, now: Date) {
  const thisYear = now.getFullYear();
  const month = now.getMonth();
  const day = now.getDate();
  const oldest = db
    .select({ at: min(assets.takenAt) })
    .from(assets)
    .where(eq(assets.ownerId, ownerId))
    .get()?.at;
  if (!oldest) return undefined;
  const firstYear = Math.max(OLDEST_YEAR, oldest.getUTCFullYear() - 1);
  if (firstYear >= thisYear) return undefined;

  const leapDayToo = month === 1 && day === 28 && !isLeap(thisYear);
  const days = [mmdd(month, day), ...(leapDayToo ? ['02-29'] : [])];
  const ranges: { year: number; lo: number; hi: number }[] = [];
  for (let year = thisYear - 1; year >= firstYear; year--) {
    const start = Date.UTC(year, month, day);
    const span = leapDayToo && isLeap(year) ? 2 * DAY : DAY;
    ranges.push({ year, lo: start - ZONE_SLACK, hi: start + span + ZONE_SLACK });
  }

  // One index range scan per year, joined from a VALUES list so it stays a single statement.
  const values = sql.join(
    ranges.map((r) => sql`(${r.year}, ${r.lo}, ${r.hi})`),
    sql`, `,
  );
  const wallDay = sql`strftime('%m-%d', (${assets.takenAt} + coalesce(${assets.tzOffsetMinutes}, 0) * 60000) / 1000, 'unixepoch')`;
  return db
    .select({ year: sql<number>`r.y`, ...timelineColumns })
    .from(sql`(SELECT column1 AS y, column2 AS lo, column3 AS hi FROM (VALUES ${values})) AS r`)
    .innerJoin(assets, and(eq(assets.ownerId, ownerId), sql`${assets.takenAt} >= r.lo`, sql`${assets.takenAt} < r.hi`))
    .where(
      and(
        isNull(assets.trashedAt),
        isNull(assets.archivedAt),
        isNotNull(assets.thumbBlobId),
        sql`${wallDay} IN (${sql.join(
          days.map((d) => sql`${d}`),
          sql`, `,
        )})`,
        // The range was widened for time zones: keep only rows whose wall-clock year is the range's.
        sql`CAST(strftime('%Y', (${assets.takenAt} + coalesce(${assets.tzOffsetMinutes}, 0) * 60000) / 1000, 'unixepoch') AS INTEGER) = r.y`,
      ),
    )
    .orderBy(sql`r.y DESC`, assets.takenAt, assets.id);
}

function mmdd(month: number, day: number): string {
  return `${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
