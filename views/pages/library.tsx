import type { TimelineCursor, TimelineItem } from '../../server/library/assets.repo.js';
import { BulkBar } from '../components/select-grid.js';
import { MonthJump, MonthList, TimelineChunk } from '../components/timeline.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { damagedSentence } from './problems.js';

const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

export interface LibraryPageProps {
  page: PageContext;
  items: TimelineItem[];
  /** There are newer items above the first one shown (the page starts in the middle of the library). */
  newer?: TimelineCursor;
  older?: TimelineCursor;
  /** The page was opened at a month ('YYYY-MM') or some other position rather than at the top. */
  start?: { month?: string };
  damaged?: number;
}

export function LibraryPage(props: LibraryPageProps) {
  const fromTop = !props.start;
  return (
    <Layout title="Library" page={props.page} scripts={['/static/timeline.js', '/static/select.js']}>
      <div class="tl-head">
        <h1>Library</h1>
        <MonthJump value={props.start?.month} />
      </div>
      {props.damaged ? (
        <p class="notice error damaged-notice" role="status">
          {damagedSentence(props.damaged)}. <a href="/problems">See which ones</a>
        </p>
      ) : null}
      {props.start ? (
        <p class="tl-position">
          {props.start.month ? `From ${monthFormat.format(new Date(`${props.start.month}-01T00:00:00Z`))}. ` : null}
          <a href="/">Back to the newest</a>
        </p>
      ) : null}
      {fromTop ? (
        // "On this day": photos from today's date in earlier years, fetched after the page (it renders nothing when there are none).
        <div class="tl-memories" hx-get="/memories" hx-trigger="load" hx-swap="outerHTML"></div>
      ) : null}
      {props.items.length === 0 ? (
        fromTop ? (
          <p class="empty">
            Nothing here yet. Import a folder with <code>heirloom import &lt;folder&gt; --user &lt;name&gt;</code>.
          </p>
        ) : (
          <p class="empty">There are no photos or videos from before then.</p>
        )
      ) : null}
      {props.items.length ? (
        <BulkBar
          csrf={props.page.csrf}
          back="/"
          buttons={[
            { action: 'favorite', label: 'Favourite' },
            { action: 'archive', label: 'Archive' },
            { action: 'trash', label: 'Move to trash', danger: true },
          ]}
          removes={['archive', 'trash']}
          readOnly={props.page.user?.role === 'viewer'}
        />
      ) : null}
      <div id="tl" class="tl" data-select-grid>
        <TimelineChunk items={props.items} newer={props.newer} older={props.older} />
      </div>
    </Layout>
  );
}

/** The months with photos, as a page of its own (for a browser without scripts). */
export function MonthsPage(props: { page: PageContext; months: string[] }) {
  return (
    <Layout title="Months" page={props.page}>
      <p class="crumbs">
        <a href="/">Library</a>
      </p>
      <h1>Jump to a month</h1>
      <MonthList months={props.months} />
    </Layout>
  );
}
