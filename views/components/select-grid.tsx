import type { Child } from 'hono/jsx';
import type { GridItem } from '../../server/library/organise.repo.js';
import { CsrfField } from './form.js';

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The day a photo was taken, on the wall clock where it was taken. */
export function takenDay(item: Pick<GridItem, 'takenAt' | 'tzOffsetMinutes'>): string {
  return dayFormat.format(new Date(item.takenAt.getTime() + (item.tzOffsetMinutes ?? 0) * 60_000));
}

export type TileItem = Pick<GridItem, 'id' | 'kind' | 'takenAt' | 'tzOffsetMinutes' | 'width' | 'height' | 'thumbBlobId' | 'thumbhash' | 'originalName'> & Partial<Pick<GridItem, 'flag' | 'favorite'>>;

/** A thumbnail linking to the viewer, as the library draws it (with its thumbhash placeholder). */
export function Thumb({ item }: { item: TileItem }) {
  const label = `${item.originalName}, ${takenDay(item)}`;
  return (
    <a class="org-thumb" href={`/items/${item.id}`} data-thumbhash={item.thumbBlobId ? item.thumbhash?.toString('base64') : undefined}>
      {item.thumbBlobId ? (
        <img src={`/media/${item.thumbBlobId}`} alt={label} loading="lazy" decoding="async" width={item.width ?? undefined} height={item.height ?? undefined} />
      ) : (
        <span class="org-flagged">
          <span class="org-name">{item.originalName}</span>
          <span>{item.flag === 'unsupported' ? 'Kept, no preview' : 'Kept, could not be read'}</span>
        </span>
      )}
      {item.kind === 'video' ? <span class="org-badge">Video</span> : null}
      {item.favorite ? (
        <span class="org-fav" title="Favourite">
          ★<span class="visually-hidden"> Favourite</span>
        </span>
      ) : null}
    </a>
  );
}

/**
 * A grid of thumbnails, each with a checkbox that belongs to the bulk form `form` (through the form
 * attribute, so the grid needs no enclosing form). select.js adds shift-click ranges and the count.
 */
export function SelectGrid<T extends TileItem>(props: { items: T[]; form: string; extra?: (item: T) => Child; label: string }) {
  return (
    <ul class="org-grid" aria-label={props.label} data-select-grid>
      {props.items.map((item) => (
        <li class="org-tile" data-id={item.id}>
          <Thumb item={item} />
          <label class="org-pick">
            <input type="checkbox" class="org-check" name="ids" value={String(item.id)} form={props.form} />
            <span class="visually-hidden">{`Select ${item.originalName}, ${takenDay(item)}`}</span>
          </label>
          {props.extra ? <div class="org-extra">{props.extra(item)}</div> : null}
        </li>
      ))}
    </ul>
  );
}

export interface BulkButton {
  action: 'favorite' | 'unfavorite' | 'archive' | 'unarchive' | 'trash' | 'restore';
  label: string;
  danger?: boolean;
}

/** The bar that acts on the selection: POST /items/bulk with the ticked ids, then back to `back`. */
export function BulkBar(props: { form: string; csrf: string; back: string; buttons: BulkButton[] }) {
  return (
    <form id={props.form} method="post" action="/items/bulk" class="org-bulk" data-select-form aria-label="Selected items">
      <CsrfField csrf={props.csrf} />
      <input type="hidden" name="back" value={props.back} />
      <output class="org-count" data-select-count aria-live="polite">
        Tick photos to act on them
      </output>
      <span class="org-select-tools" data-select-tools hidden>
        <button type="button" class="link" data-select-all>
          Select all
        </button>
        <button type="button" class="link" data-select-none>
          Clear
        </button>
      </span>
      <span class="org-actions">
        {props.buttons.map((b) => (
          <button type="submit" name="action" value={b.action} class={b.danger ? 'danger' : 'secondary'} data-needs-selection>
            {b.label}
          </button>
        ))}
      </span>
    </form>
  );
}
