import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import { MonthList, TimelineChunk } from '../../views/components/timeline.js';
import { MonthsPage } from '../../views/pages/library.js';
import type { AppEnv } from '../http/app-env.js';
import type { TimelineCursor } from './assets.repo.js';
import type { LibraryService, TimelineStart } from './library.service.js';

/** Items per timeline page: a few screens of thumbnails, one index range scan. */
export const TIMELINE_PAGE_SIZE = 150;

const CURSOR = /^(-?\d{1,15})\.(\d{1,15})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** `<taken_at ms>.<id>` from a URL; undefined when absent, null when malformed. */
export function parseCursor(value: string | undefined): TimelineCursor | undefined | null {
  if (value === undefined) return undefined;
  const m = CURSOR.exec(value);
  if (!m) return null;
  const takenAt = new Date(Number(m[1]));
  const id = Number(m[2]);
  if (Number.isNaN(takenAt.getTime()) || !Number.isSafeInteger(id)) return null;
  return { takenAt, id };
}

/** 'YYYY-MM' → the position just after that month's last moment, so the page starts with its newest item. */
export function monthCursor(value: string | undefined): TimelineCursor | undefined | null {
  if (value === undefined) return undefined;
  const m = MONTH.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 1800 || year > 9999 || month < 1 || month > 12) return null;
  // id 0 comes before every real id, so "before (start of next month, 0)" is "taken before next month".
  return { takenAt: new Date(Date.UTC(year, month, 1)), id: 0 };
}

/** The positions a timeline URL may carry: ?at= (start with that item), ?after=, ?before=, ?from=YYYY-MM. */
export function timelineStart(q: (name: string) => string | undefined): { start: TimelineStart; month?: string; fromTop: boolean } | null {
  const at = parseCursor(q('at'));
  const after = parseCursor(q('after'));
  const before = parseCursor(q('before'));
  const from = monthCursor(q('from'));
  if (at === null || after === null || before === null || from === null) return null;
  // "Start with this item" is "just older than the position right after it": ids are integers.
  if (at) return { start: { after: { takenAt: at.takenAt, id: at.id + 1 } }, fromTop: false };
  if (after) return { start: { after }, fromTop: false };
  if (before) return { start: { before }, fromTop: false };
  if (from) return { start: { after: from }, month: q('from'), fromTop: false };
  return { start: {}, fromTop: true };
}

const BAD_POSITION = 'That position in the timeline is not valid. Go back to the library and try again.';

export function timelineRoutes(library: LibraryService) {
  return new Hono<AppEnv>()
    .get('/timeline', (c) => {
      // The next (or previous) page for the infinite scroll: just the sections and a new sentinel.
      // Signed out meanwhile (in another tab): send the whole page to sign-in, not into the timeline.
      if (!c.var.actor && c.req.header('hx-request') === 'true') return c.body(null, 200, { 'HX-Redirect': '/login?next=%2F' });
      const after = parseCursor(c.req.query('after'));
      const before = parseCursor(c.req.query('before'));
      if (after === null || before === null || (!after && !before)) return c.text(BAD_POSITION, 400);
      const page = library.timelinePage(c.var.actor, before ? { before } : { after }, TIMELINE_PAGE_SIZE);
      return c.html(<TimelineChunk items={page.items} newer={page.newer} older={page.older} />);
    })
    .get('/timeline/months', (c) => {
      const months = library.months(c.var.actor);
      c.header('Vary', 'HX-Request');
      if (c.req.header('hx-request') === 'true') return c.html(<MonthList months={months} />);
      return c.html(<MonthsPage page={pageContext(c)} months={months} />);
    });
}
