import type { Child } from 'hono/jsx';
import type { GridItem } from '../../server/library/organise.repo.js';
import type { BulkAction } from '../../server/library/organise.service.js';
import { CsrfField } from './form.js';

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The day a photo was taken, on the wall clock where it was taken. */
export function takenDay(item: Pick<GridItem, 'takenAt' | 'tzOffsetMinutes'>): string {
  return dayFormat.format(new Date(item.takenAt.getTime() + (item.tzOffsetMinutes ?? 0) * 60_000));
}

export type TileItem = Pick<GridItem, 'id' | 'kind' | 'takenAt' | 'tzOffsetMinutes' | 'width' | 'height' | 'thumbBlobId' | 'thumbhash' | 'originalName'> & Partial<Pick<GridItem, 'flag' | 'favorite' | 'motion'>>;

/** The star on a favourite's tile; always there (hidden when not a favourite) so select.js can show it after a bulk favourite. */
export function FavMark({ on }: { on: boolean }) {
  return (
    <span class="org-fav" title="Favourite" data-fav-mark hidden={!on}>
      ★<span class="visually-hidden"> Favourite</span>
    </span>
  );
}

/** A tile's selection circle: a checkbox of the bulk form `form` (through the form attribute, so no grid needs an enclosing form). */
export function Pick(props: { id: number; label: string; form: string }) {
  return (
    <label class="org-pick">
      <input type="checkbox" class="org-check" name="ids" value={String(props.id)} form={props.form} />
      <span class="visually-hidden">{`Select ${props.label}`}</span>
    </label>
  );
}

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
      {item.motion ? <span class="org-badge org-badge-live">Live</span> : null}
      <FavMark on={Boolean(item.favorite)} />
    </a>
  );
}

/** The id of the bulk form every grid's checkboxes belong to (one per page). */
export const BULK_FORM = 'bulk';

/** A grid of thumbnails, each with its selection circle; select.js adds select mode, ranges and the count. */
export function SelectGrid<T extends TileItem>(props: { items: T[]; extra?: (item: T) => Child; label: string }) {
  return (
    <ul class="org-grid" aria-label={props.label} data-select-grid>
      {props.items.map((item) => (
        <li class="org-tile" data-id={item.id}>
          <Thumb item={item} />
          <Pick id={item.id} label={`${item.originalName}, ${takenDay(item)}`} form={BULK_FORM} />
          {props.extra ? <div class="org-extra">{props.extra(item)}</div> : null}
        </li>
      ))}
    </ul>
  );
}

export interface BulkButton {
  action: BulkAction;
  label: string;
  danger?: boolean;
}

/**
 * The bar that acts on the selection. With htmx each action posts to /items/bulk and select.js updates
 * the grid from the answer (the items `removes` names leave it); without script it is a plain form.
 * Download posts the same ids to /download.zip as a plain form, so the browser saves the zip. A viewer
 * (`readOnly`) gets Download alone.
 */
export function BulkBar(props: { csrf: string; back: string; buttons: BulkButton[]; removes: BulkAction[]; readOnly: boolean }) {
  const status = `${BULK_FORM}-status`;
  return (
    <form id={BULK_FORM} method="post" action="/items/bulk" class="org-bulk" data-select-form data-removes={props.removes.join(' ')} aria-label="Selected items">
      <CsrfField csrf={props.csrf} />
      <input type="hidden" name="back" value={props.back} />
      <output class="org-count" data-select-count aria-live="polite">
        Select photos to act on them
      </output>
      <span class="org-select-tools" data-select-tools hidden>
        <button type="button" class="link" data-select-start>
          Select
        </button>
        <button type="button" class="link" data-select-all>
          Select all
        </button>
        <button type="button" class="link" data-select-none>
          Clear
        </button>
      </span>
      <span class="org-actions">
        {props.readOnly
          ? null
          : props.buttons.map((b) => (
              <button type="submit" name="action" value={b.action} class={b.danger ? 'danger' : 'secondary'} data-needs-selection hx-post="/items/bulk" hx-target={`#${status}`} hx-swap="innerHTML">
                {b.label}
              </button>
            ))}
        <button type="submit" formaction="/download.zip" class="secondary" data-needs-selection>
          Download
        </button>
      </span>
      <div id={status} class="org-status"></div>
    </form>
  );
}
