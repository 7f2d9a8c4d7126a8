import type { TimelineItem } from '../../server/library/assets.repo.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { damagedSentence } from './problems.js';

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function Tile({ item }: { item: TimelineItem }) {
  const label = `${item.originalName}, ${dayFormat.format(item.takenAt)}`;
  if (!item.thumbBlobId) {
    return (
      <li class="tile tile-flagged" title={label}>
        <span class="tile-name">{item.originalName}</span>
        <span class="tile-note">{item.flag === 'unsupported' ? 'Kept, no preview' : 'Kept, could not be read'}</span>
      </li>
    );
  }
  return (
    <li class="tile" data-thumbhash={item.thumbhash?.toString('base64')}>
      <img src={`/media/${item.thumbBlobId}`} alt={label} loading="lazy" decoding="async" width={item.width ?? undefined} height={item.height ?? undefined} />
      {item.kind === 'video' ? <span class="tile-badge">Video</span> : null}
    </li>
  );
}

export function LibraryPage(props: { page: PageContext; items: TimelineItem[]; more: boolean; damaged?: number }) {
  return (
    <Layout title="Library" page={props.page} scripts={['/static/grid.js']}>
      <h1>Library</h1>
      {props.damaged ? (
        <p class="notice error damaged-notice" role="status">
          {damagedSentence(props.damaged)}. <a href="/problems">See which ones</a>
        </p>
      ) : null}
      {props.items.length === 0 ? (
        <p class="empty">
          Nothing here yet. Import a folder with <code>heirloom import &lt;folder&gt; --user &lt;name&gt;</code>.
        </p>
      ) : (
        <ul class="grid">
          {props.items.map((item) => (
            <Tile item={item} />
          ))}
        </ul>
      )}
      {props.more ? <p class="more">Showing the newest {props.items.length} items.</p> : null}
    </Layout>
  );
}
