import type { TimelineCursor, TimelineItem } from '../../server/library/assets.repo.js';
import { BULK_FORM, FavMark, Pick } from './select-grid.js';

/** A timeline position in a URL: `<taken_at ms>.<id>`. */
export const cursorParam = (c: TimelineCursor): string => `${c.takenAt.getTime()}.${c.id}`;

/**
 * The wall-clock time where the item was taken. The stored instant moved by its zone; without a zone,
 * ingest stored the camera's wall-clock reading as if it were UTC, so it already is that.
 */
export function wallClock(takenAt: Date, tzOffsetMinutes: number | null): Date {
  return new Date(takenAt.getTime() + (tzOffsetMinutes ?? 0) * 60_000);
}

/** A video's length as players show it: "0:42", "12:05", "1:02:09". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'long', timeZone: 'UTC' });
const labelFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const monthName = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' });

/**
 * The justified grid: a tile's class carries its aspect ratio in tenths of a doubling (2^(k/10), from
 * 1:4 to 4:1), and the stylesheet makes each tile's flex basis and growth proportional to it, so every
 * row fills the width edge to edge at one height. No script and no server-side knowledge of the screen.
 * Rounding to the nearest step crops at most 3.5% of an image.
 */
export function aspectClass(width: number | null, height: number | null): string {
  if (!width || !height) return 'tl-a-20';
  const k = Math.round(Math.log2(width / height) * 10);
  return `tl-a-${Math.min(40, Math.max(0, k + 20))}`;
}

function Tile({ item }: { item: TimelineItem }) {
  const label = `${item.originalName}, ${labelFormat.format(wallClock(item.takenAt, item.tzOffsetMinutes))}`;
  const href = `/items/${item.id}`;
  if (!item.thumbBlobId) {
    return (
      <li class="tl-tile tl-a-20 tl-flagged" id={`i${item.id}`}>
        <a class="tl-link" href={href} title={label}>
          <span class="tl-name">{item.originalName}</span>
          <span class="tl-note">{item.flag === 'unsupported' ? 'Kept, no preview' : 'Kept, could not be read'}</span>
        </a>
        <Pick id={item.id} label={label} form={BULK_FORM} />
        <FavMark on={item.favorite} />
      </li>
    );
  }
  return (
    <li class={`tl-tile ${aspectClass(item.width, item.height)}`} id={`i${item.id}`} data-thumbhash={item.thumbhash?.toString('base64')}>
      <a class="tl-link" href={href}>
        <img src={`/media/${item.thumbBlobId}`} alt={label} loading="lazy" decoding="async" width={item.width ?? undefined} height={item.height ?? undefined} />
        {item.kind === 'video' ? (
          <span class="tl-badge">
            {item.durationMs ? (
              <>
                <span class="visually-hidden">Video, </span>
                {formatDuration(item.durationMs)}
              </>
            ) : (
              'Video'
            )}
          </span>
        ) : null}
        {item.motion ? <span class="tl-badge tl-badge-live">Live</span> : null}
      </a>
      <Pick id={item.id} label={label} form={BULK_FORM} />
      <FavMark on={item.favorite} />
    </li>
  );
}

interface Day {
  key: string;
  date: Date;
  items: TimelineItem[];
}
interface Month {
  key: string;
  date: Date;
  days: Day[];
}

/** Items (newest first) as month sections holding day sections, by the wall-clock date they were taken. */
function group(items: TimelineItem[]): Month[] {
  const months: Month[] = [];
  for (const item of items) {
    const local = wallClock(item.takenAt, item.tzOffsetMinutes);
    const iso = local.toISOString();
    const monthKey = iso.slice(0, 7);
    const dayKey = iso.slice(0, 10);
    let month = months.at(-1);
    if (month?.key !== monthKey) months.push((month = { key: monthKey, date: local, days: [] }));
    let day = month.days.at(-1);
    if (day?.key !== dayKey) month.days.push((day = { key: dayKey, date: local, items: [] }));
    day.items.push(item);
  }
  return months;
}

/**
 * A run of timeline items. Each page is rendered on its own, so a page that goes on with the day (or
 * month) the one before ended with repeats its section; timeline.js joins such neighbours after a swap,
 * and without scripts each page stands alone with its own headings.
 */
export function TimelineSections({ items }: { items: TimelineItem[] }) {
  return (
    <>
      {group(items).map((month) => (
        <section class="tl-month" data-month={month.key}>
          <h2 class="tl-month-h">{monthFormat.format(month.date)}</h2>
          {month.days.map((day) => (
            <section class="tl-day" data-day={day.key}>
              <h3 class="tl-day-h">
                <time datetime={day.key}>{dayFormat.format(day.date)}</time>
                <button type="button" class="tl-day-pick" data-select-day aria-pressed="false" aria-label={`Select all of ${dayFormat.format(day.date)}`}></button>
              </h3>
              <ul class="tl-grid">
                {day.items.map((item) => (
                  <Tile item={item} />
                ))}
              </ul>
            </section>
          ))}
        </section>
      ))}
    </>
  );
}

/**
 * Where the timeline goes on: htmx fetches the next page when this comes near the screen and puts it
 * in this element's place (with a new one of these, while there is more). The link is the same page
 * for a browser without scripts.
 */
export function MoreSentinel({ direction, cursor }: { direction: 'older' | 'newer'; cursor: TimelineCursor }) {
  const query = `${direction === 'older' ? 'after' : 'before'}=${cursorParam(cursor)}`;
  return (
    <div class={`tl-more tl-more-${direction}`} hx-get={`/timeline?${query}`} hx-trigger="revealed rootMargin:1200px" hx-swap="outerHTML">
      <a href={`/?${query}`}>{direction === 'older' ? 'Older photos' : 'Newer photos'}</a>
      <span class="tl-loading" aria-hidden="true">
        Loading…
      </span>
    </div>
  );
}

/** One page of the timeline as the infinite scroll swaps it in: newer sentinel, sections, older sentinel. */
export function TimelineChunk(props: { items: TimelineItem[]; newer?: TimelineCursor; older?: TimelineCursor }) {
  return (
    <>
      {props.newer ? <MoreSentinel direction="newer" cursor={props.newer} /> : null}
      <TimelineSections items={props.items} />
      {props.older ? <MoreSentinel direction="older" cursor={props.older} /> : null}
    </>
  );
}

/**
 * Jump to a month: a month field that works everywhere (and without scripts), and the list of months
 * that have photos, fetched when the panel is first opened so the timeline page itself never pays for it.
 */
export function MonthJump(props: { value?: string }) {
  return (
    <details class="tl-jump" hx-get="/timeline/months" hx-trigger="toggle once" hx-target="#tl-months" hx-swap="innerHTML">
      <summary>Jump to a month</summary>
      <div class="tl-jump-panel">
        <form method="get" action="/" class="tl-jump-form">
          <label for="tl-from">Month</label>
          <input id="tl-from" name="from" type="month" required pattern="[0-9]{4}-[0-9]{2}" placeholder="YYYY-MM" value={props.value} />
          <button type="submit" class="secondary">
            Go
          </button>
        </form>
        <div id="tl-months" class="tl-months">
          <a href="/timeline/months">All months with photos</a>
        </div>
      </div>
    </details>
  );
}

/** The months with photos, by year, each a link to the timeline from there. */
export function MonthList({ months }: { months: string[] }) {
  if (months.length === 0) return <p class="muted">No photos yet.</p>;
  const years: { year: string; months: string[] }[] = [];
  for (const m of months) {
    const year = m.slice(0, 4);
    if (years.at(-1)?.year !== year) years.push({ year, months: [] });
    years.at(-1)!.months.push(m);
  }
  return (
    <nav class="tl-years" aria-label="Months with photos">
      {years.map((y) => (
        <div class="tl-year">
          <h2 class="tl-year-h">{y.year}</h2>
          <ul class="tl-year-months">
            {y.months.map((m) => (
              <li>
                <a href={`/?from=${m}`}>
                  {monthName.format(new Date(`${m}-01T00:00:00Z`))}
                  <span class="visually-hidden"> {y.year}</span>
                </a>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
