import type { CollectionKind, GridItem } from '../../server/library/organise.repo.js';
import type { BulkAction } from '../../server/library/organise.service.js';
import { daysLeft, TRASH_RETENTION_DAYS } from '../../server/library/trash.service.js';
import { CsrfField, Notice } from '../components/form.js';
import { BULK_FORM, BulkBar, SelectGrid, takenDay, type BulkButton, type TileItem } from '../components/select-grid.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

export type Section = CollectionKind | 'search';

const sections: { key: Section; href: string; label: string }[] = [
  { key: 'search', href: '/search', label: 'Search' },
  { key: 'favorites', href: '/favorites', label: 'Favourites' },
  { key: 'archive', href: '/archive', label: 'Archive' },
  { key: 'trash', href: '/trash', label: 'Trash' },
];

/** Links between the organising pages (the main navigation belongs to the layout). */
export function SectionNav({ current }: { current: Section }) {
  return (
    <nav class="org-tabs" aria-label="Organise">
      <a href="/">Library</a>
      {sections.map((s) => (
        <a href={s.href} aria-current={s.key === current ? 'page' : undefined}>
          {s.label}
        </a>
      ))}
    </nav>
  );
}

const titles: Record<CollectionKind, string> = { trash: 'Trash', archive: 'Archive', favorites: 'Favourites' };

const intro: Record<CollectionKind, string> = {
  trash: `Items in the trash are deleted for good ${TRASH_RETENTION_DAYS} days after they were moved here. Until then you can restore them.`,
  archive: 'Archived items are hidden from the library but kept, and still found by search.',
  favorites: 'The photos and videos you marked with a star.',
};

const empty: Record<CollectionKind, string> = {
  trash: 'The trash is empty.',
  archive: 'Nothing is archived.',
  favorites: 'No favourites yet. Open a photo and mark it with the star, or select photos in the library or on the search page and choose Favourite.',
};

const buttons: Record<CollectionKind, BulkButton[]> = {
  trash: [{ action: 'restore', label: 'Restore' }],
  archive: [
    { action: 'unarchive', label: 'Back to the library' },
    { action: 'favorite', label: 'Favourite' },
    { action: 'trash', label: 'Move to trash', danger: true },
  ],
  favorites: [
    { action: 'unfavorite', label: 'Remove from favourites' },
    { action: 'archive', label: 'Archive' },
    { action: 'trash', label: 'Move to trash', danger: true },
  ],
};

/** The actions after which an item no longer belongs on the page. */
const removes: Record<CollectionKind, BulkAction[]> = { trash: ['restore'], archive: ['unarchive', 'trash'], favorites: ['unfavorite', 'trash'] };

export interface CollectionProps {
  page: PageContext;
  kind: CollectionKind;
  items: GridItem[];
  /** The query string of the next page, when there is one. */
  next?: string;
  /** How many the trash holds (the trash page's "empty" form names it). */
  total?: number;
  notice?: string;
  error?: string;
  /** The trashed item whose "delete now" waits for a confirmation. */
  confirm?: GridItem;
  now: Date;
  back: string;
}

function TrashExtra({ item, now }: { item: TileItem & { trashedAt: Date | null }; now: Date }) {
  const left = item.trashedAt ? daysLeft(item.trashedAt, now) : TRASH_RETENTION_DAYS;
  return (
    <>
      <span class="org-days">{left === 0 ? 'Deleted at the next clean-up' : left === 1 ? '1 day left' : `${left} days left`}</span>
      <button type="submit" form={BULK_FORM} formaction={`/items/${item.id}/restore`} class="link" aria-label={`Restore ${item.originalName}`}>
        Restore
      </button>
      <a href={`/trash?confirm=${item.id}`} class="org-danger-link" aria-label={`Delete ${item.originalName} now`}>
        Delete now…
      </a>
    </>
  );
}

export function CollectionPage(props: CollectionProps) {
  const { kind, page } = props;
  return (
    <Layout title={titles[kind]} page={page} scripts={['/static/select.js']}>
      <SectionNav current={kind} />
      <h1>{titles[kind]}</h1>
      <p class="muted">{intro[kind]}</p>
      <Notice error={props.error} ok={props.notice} />
      {props.confirm ? (
        <form method="post" action={`/trash/${props.confirm.id}/delete-now`} class="card org-confirm" aria-labelledby="confirm-title">
          <h2 id="confirm-title">{`Delete “${props.confirm.originalName}” for good?`}</h2>
          <p>{`Taken ${takenDay(props.confirm)}. The photo and its copies on this server are deleted now; off-site copies follow after their grace period. This cannot be undone.`}</p>
          <CsrfField csrf={page.csrf} />
          <input type="hidden" name="confirm" value="delete" />
          <button type="submit" class="danger">
            Delete for good
          </button>{' '}
          <a href="/trash">Keep it</a>
        </form>
      ) : null}
      {props.items.length === 0 ? (
        <p class="empty">{empty[kind]}</p>
      ) : (
        <>
          <BulkBar csrf={page.csrf} back={props.back} buttons={buttons[kind]} removes={removes[kind]} readOnly={page.user?.role === 'viewer'} />
          <SelectGrid items={props.items} label={titles[kind]} extra={kind === 'trash' ? (item) => <TrashExtra item={item} now={props.now} /> : undefined} />
          {props.next ? (
            <p class="more">
              <a href={`/${kind}?${props.next}`}>Older items</a>
            </p>
          ) : null}
        </>
      )}
      {kind === 'trash' && props.total ? (
        <form method="post" action="/trash/empty" class="card org-empty-trash" aria-labelledby="empty-title">
          <h2 id="empty-title">Empty the trash</h2>
          <CsrfField csrf={page.csrf} />
          <label class="org-confirm-box">
            <input type="checkbox" name="confirm" value="empty" required />
            {` Yes, delete all ${props.total} item${props.total === 1 ? '' : 's'} in the trash for good. This cannot be undone.`}
          </label>
          <button type="submit" class="danger">
            Empty trash
          </button>
        </form>
      ) : null}
    </Layout>
  );
}

/** A short page for an action that could not be done (a plain form post without htmx). */
export function ActionProblemPage(props: { page: PageContext; title: string; message: string; back: string }) {
  return (
    <Layout title={props.title} page={props.page} narrow>
      <h1>{props.title}</h1>
      <Notice error={props.message} />
      <p>
        <a href={props.back}>Go back</a> · <a href="/trash">Open the trash</a>
      </p>
    </Layout>
  );
}
