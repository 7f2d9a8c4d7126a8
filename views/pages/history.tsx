import type { ParsedVersion } from '../../server/library/edits.service.js';
import type { EditableFields, EditableItem } from '../../server/library/organise.repo.js';
import { CsrfField, Notice } from '../components/form.js';
import { Thumb } from '../components/select-grid.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { offsetLabel } from './edit.js';

const wallFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'medium', timeZone: 'UTC' });
const editedFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

const orientationNames: Record<number, string> = {
  1: 'upright',
  2: 'mirrored',
  3: 'upside down',
  4: 'mirrored, upside down',
  5: 'mirrored, turned a quarter counter-clockwise',
  6: 'turned a quarter clockwise',
  7: 'mirrored, turned a quarter clockwise',
  8: 'turned a quarter counter-clockwise',
};

function when(f: Partial<EditableFields>): string {
  if (f.takenAt === undefined) return '';
  const zone = f.tzOffsetMinutes ?? null;
  const wall = new Date(f.takenAt + (zone ?? 0) * 60_000);
  return `${wallFormat.format(wall)} ${zone === null ? '(zone unknown)' : `(${offsetLabel(zone)})`}`;
}

function place(f: Partial<EditableFields>): string {
  return f.latitude === null || f.latitude === undefined || f.longitude === null || f.longitude === undefined ? 'none' : `${f.latitude}, ${f.longitude}`;
}

/** The fields one version changed, as "what: before → after" lines. */
function changes(v: ParsedVersion): { what: string; before: string; after: string }[] {
  const out: { what: string; before: string; after: string }[] = [];
  const { previous: p, next: n } = v;
  if ('takenAt' in n || 'tzOffsetMinutes' in n) out.push({ what: 'Date and time', before: when({ takenAt: p.takenAt, tzOffsetMinutes: p.tzOffsetMinutes }), after: when({ takenAt: n.takenAt, tzOffsetMinutes: n.tzOffsetMinutes }) });
  if ('description' in n) out.push({ what: 'Description', before: p.description ? `“${p.description}”` : 'none', after: n.description ? `“${n.description}”` : 'none' });
  if ('latitude' in n || 'longitude' in n) out.push({ what: 'Location', before: place(p), after: place(n) });
  if ('orientation' in n) out.push({ what: 'Orientation', before: orientationNames[p.orientation ?? 1] ?? 'upright', after: orientationNames[n.orientation ?? 1] ?? 'upright' });
  return out;
}

export function HistoryPage(props: { page: PageContext; item: EditableItem; versions: ParsedVersion[]; canEdit: boolean; notice?: string }) {
  const { item, versions, page } = props;
  const thumb = { ...item, takenAt: new Date(item.takenAt) };
  return (
    <Layout title={`History of ${item.originalName}`} page={page}>
      <p class="crumbs">
        <a href={`/items/${item.id}`}>Back to the photo</a>
        {props.canEdit && !item.trashedAt ? (
          <>
            {' · '}
            <a href={`/items/${item.id}/edit`}>Edit details</a>
          </>
        ) : null}
      </p>
      <h1>Edit history</h1>
      <div class="org-edit-head">
        <div class="org-edit-thumb">
          <Thumb item={thumb} />
        </div>
        <dl class="facts">
          <dt>File</dt>
          <dd class="org-name">{item.originalName}</dd>
          <dt>Taken</dt>
          <dd>{when(item)}</dd>
          <dt>Description</dt>
          <dd>{item.description ?? 'none'}</dd>
          <dt>Location</dt>
          <dd>{place(item)}</dd>
        </dl>
      </div>
      <Notice ok={props.notice} error={item.trashedAt ? 'This photo is in the trash: restore it before changing it.' : undefined} />
      {versions.length === 0 ? (
        <p class="empty">No changes yet: these are the details read from the file.</p>
      ) : (
        <ol class="org-history" reversed>
          {versions.map((v) => (
            <li class="card org-version" data-version={v.id}>
              <p class="org-version-head">
                <strong>{editedFormat.format(v.editedAt)}</strong>
                {v.editorName ? <span class="muted">{` by ${v.editorName}`}</span> : null}
              </p>
              <dl class="facts">
                {changes(v).map((ch) => (
                  <>
                    <dt>{ch.what}</dt>
                    <dd>
                      <span class="org-before">{ch.before}</span>
                      {' → '}
                      <span class="org-after">{ch.after}</span>
                    </dd>
                  </>
                ))}
              </dl>
              {props.canEdit && !item.trashedAt ? (
                <form method="post" action={`/items/${item.id}/versions/${v.id}/revert`} class="inline">
                  <CsrfField csrf={page.csrf} />
                  <button type="submit" class="secondary">
                    Revert this change
                  </button>
                </form>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}
