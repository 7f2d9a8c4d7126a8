import type { EditFormValues } from '../../server/library/edits.service.js';
import { MAX_DESCRIPTION } from '../../server/library/edits.service.js';
import type { EditableItem } from '../../server/library/organise.repo.js';
import { CsrfField, Notice } from '../components/form.js';
import { Thumb, takenDay } from '../components/select-grid.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

/** "UTC+02:00" for 120. */
export function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const OFFSETS: number[] = [];
for (let m = -12 * 60; m <= 14 * 60; m += 15) OFFSETS.push(m);

export function EditPage(props: { page: PageContext; item: EditableItem; values: EditFormValues; back: string; error?: string; notice?: string }) {
  const { item, values, page } = props;
  const thumb = { ...item, takenAt: new Date(item.takenAt) };
  return (
    <Layout title={`Edit ${item.originalName}`} page={page} narrow>
      <p class="crumbs">
        <a href={props.back}>Back</a> · <a href={`/items/${item.id}/history`}>Edit history</a>
      </p>
      <h1>Edit details</h1>
      <div class="org-edit-head">
        <div class="org-edit-thumb">
          <Thumb item={thumb} />
        </div>
        <p>
          <strong class="org-name">{item.originalName}</strong>
          <br />
          <span class="muted">{`Taken ${takenDay(thumb)}. The original file is never changed: these details are kept beside it, and every change can be undone from the edit history.`}</span>
        </p>
      </div>
      <form method="post" action={`/items/${item.id}/edit`} class="card org-edit" aria-label="Details">
        <Notice error={props.error} ok={props.notice} />
        <CsrfField csrf={page.csrf} />
        <input type="hidden" name="base" value={values.base} />
        <input type="hidden" name="back" value={props.back} />
        <fieldset class="org-fieldset">
          <legend>When it was taken</legend>
          <div class="org-row">
            <div class="field">
              <label for="f-date">Date</label>
              <input id="f-date" name="date" type="date" value={values.date} required min="1800-01-01" max="2200-12-31" />
            </div>
            <div class="field">
              <label for="f-time">Time</label>
              <input id="f-time" name="time" type="time" step="1" value={values.time} required />
            </div>
          </div>
          <div class="field">
            <label for="f-tz">Time zone where it was taken</label>
            <select id="f-tz" name="tz" aria-describedby="f-tz-hint">
              <option value="" selected={values.tz === ''}>
                Unknown: the time as the camera showed it
              </option>
              {OFFSETS.map((m) => (
                <option value={String(m)} selected={values.tz === String(m)}>
                  {offsetLabel(m)}
                </option>
              ))}
            </select>
            <small id="f-tz-hint">The date and time are the clock reading where the photo was taken.</small>
          </div>
        </fieldset>
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows={4} maxlength={MAX_DESCRIPTION}>
            {values.description}
          </textarea>
        </div>
        <fieldset class="org-fieldset">
          <legend>Location</legend>
          <div class="org-row">
            <div class="field">
              <label for="f-latitude">Latitude</label>
              <input id="f-latitude" name="latitude" type="text" inputmode="decimal" value={values.latitude} maxlength={32} placeholder="48.8584" aria-describedby="f-location-hint" />
            </div>
            <div class="field">
              <label for="f-longitude">Longitude</label>
              <input id="f-longitude" name="longitude" type="text" inputmode="decimal" value={values.longitude} maxlength={32} placeholder="2.2945" aria-describedby="f-location-hint" />
            </div>
          </div>
          <small id="f-location-hint" class="muted">
            Degrees, negative for south and west. Leave both empty to remove the location.
          </small>
        </fieldset>
        <p>
          <button type="submit" class="primary">
            Save
          </button>
        </p>
      </form>
    </Layout>
  );
}
