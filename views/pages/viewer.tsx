import type { Child } from 'hono/jsx';
import { formatBytes } from '../../server/format-bytes.js';
import type { TimelineNeighbour, ViewerAsset } from '../../server/library/assets.repo.js';
import type { Playback } from '../../server/library/video.service.js';
import { CsrfField } from '../components/form.js';
import { cursorParam, formatDuration, wallClock } from '../components/timeline.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

/** Originals a browser shows by itself, so "zoom" can load them in place. */
const BROWSER_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

const takenFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'UTC',
});
const titleFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The wall-clock time as HTML's datetime wants it: with its offset when known, floating otherwise. */
function localIso(asset: ViewerAsset): string {
  const wall = wallClock(asset.takenAt, asset.tzOffsetMinutes).toISOString().slice(0, 19);
  const tz = asset.tzOffsetMinutes;
  if (tz === null) return wall;
  const abs = Math.abs(tz);
  return `${wall}${tz < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function zoneLabel(minutes: number | null): string {
  if (minutes === null) return 'time zone unknown';
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function camera(make?: string | null, model?: string | null): string | undefined {
  if (model && make && model.toLowerCase().startsWith(make.toLowerCase())) return model;
  return [make, model].filter(Boolean).join(' ') || undefined;
}

function exposure(m: NonNullable<ViewerAsset['metadata']>): string | undefined {
  const parts = [
    m.exposureTime ? `${m.exposureTime} s` : null,
    m.fNumber ? `f/${Number(m.fNumber.toFixed(1))}` : null,
    m.iso ? `ISO ${m.iso}` : null,
    m.focalLength ? `${Number(m.focalLength.toFixed(1))} mm` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

const coordinate = (n: number) => Number(n.toFixed(5));

/** What the info panel lists, in reading order; rows without a value are left out. */
function facts(asset: ViewerAsset) {
  const m = asset.metadata;
  const local = wallClock(asset.takenAt, asset.tzOffsetMinutes);
  const rows: { label: string; value: Child }[] = [];
  rows.push({
    label: 'Taken',
    value: (
      <>
        <time datetime={localIso(asset)}>{takenFormat.format(local)}</time> ({zoneLabel(asset.tzOffsetMinutes)})
        {asset.takenAtSource === 'file:mtime' ? <span class="viewer-hint"> — from the file’s date, the file carried none</span> : null}
      </>
    ),
  });
  const cam = camera(m?.make, m?.model);
  if (cam) rows.push({ label: 'Camera', value: cam });
  if (m?.lens) rows.push({ label: 'Lens', value: m.lens });
  const exp = m ? exposure(m) : undefined;
  if (exp) rows.push({ label: 'Exposure', value: exp });
  if (asset.width && asset.height) {
    const mp = asset.kind === 'photo' ? ` (${((asset.width * asset.height) / 1e6).toFixed(1)} MP)` : '';
    rows.push({ label: 'Dimensions', value: `${asset.width} × ${asset.height}${mp}` });
  }
  if (asset.durationMs) rows.push({ label: 'Length', value: formatDuration(asset.durationMs) });
  rows.push({ label: 'File size', value: formatBytes(asset.fileSize) });
  if (m?.latitude != null && m.longitude != null) {
    const lat = coordinate(m.latitude);
    const lon = coordinate(m.longitude);
    rows.push({
      label: 'Location',
      value: (
        <>
          {m.place ? `${m.place} · ` : null}
          {`${lat}, ${lon}`}
          {m.altitude != null ? ` · ${Math.round(m.altitude)} m` : null}{' '}
          <a href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`} rel="noopener noreferrer">
            Show on OpenStreetMap
          </a>
        </>
      ),
    });
  }
  rows.push({ label: 'File name', value: asset.originalName });
  if (asset.motion) {
    const name = asset.motion.source === 'live' ? (asset.motion.originalName ?? 'the video') : 'the motion video';
    rows.push({
      label: 'Motion',
      value: (
        <>
          {asset.motion.source === 'live' ? 'Live Photo' : 'Motion photo (the video is inside the photo’s file)'} ·{' '}
          <a href={`/items/${asset.id}/motion?download=1`}>Download {name}</a>
        </>
      ),
    });
  }
  if (m?.description) rows.push({ label: 'Description', value: m.description });
  if (m?.keywords?.length) rows.push({ label: 'Keywords', value: m.keywords.join(', ') });
  const state = [asset.favorite ? 'Favourite' : null, asset.archivedAt ? 'Archived (hidden from the timeline)' : null].filter(Boolean);
  if (state.length) rows.push({ label: 'Status', value: state.join(' · ') });
  return rows;
}

/** A one-button form posting to an item action; the action's route checks the CSRF field and the owner. */
function Action(props: { csrf: string; action: string; label: string; name?: string; value?: string; pressed?: boolean; danger?: boolean }) {
  return (
    <form method="post" action={props.action} class="viewer-act">
      <CsrfField csrf={props.csrf} />
      {props.name ? <input type="hidden" name={props.name} value={props.value} /> : null}
      <button type="submit" class={props.danger ? 'viewer-btn viewer-btn-danger' : 'viewer-btn'} aria-pressed={props.pressed === undefined ? undefined : String(props.pressed)}>
        {props.label}
      </button>
    </form>
  );
}

/** Clockwise quarter turns of each EXIF orientation (the mirrored ones as their turn). */
const TURNS: Record<number, number> = { 1: 0, 2: 0, 3: 2, 4: 2, 5: 3, 6: 1, 7: 1, 8: 3 };

/**
 * Quarter turns to show the preview with, after "rotate": the preview was made upright for the
 * orientation the file came with, and a rotation only records a new orientation (no pixels change).
 */
export function displayTurns(asset: ViewerAsset): number {
  if (asset.originalOrientation === undefined) return 0;
  const now = TURNS[asset.metadata?.orientation ?? 1] ?? 0;
  const then = TURNS[asset.originalOrientation] ?? 0;
  return (now - then + 4) % 4;
}

/**
 * A video as the browser can play it; while its web copy is being made, or when none could be, the poster with
 * what is going on and the original to download. preload="metadata" fetches only the start (and the index a
 * seek needs) until someone presses play.
 */
function VideoStage(props: { asset: ViewerAsset; playback?: Playback; label: string; preview?: string }) {
  const { asset, playback, label, preview } = props;
  const download = <a href={`/items/${asset.id}/original?download=1`}>Download the original</a>;
  if (!playback || playback.state === 'ready') {
    return (
      <>
        <video class="viewer-video" controls playsinline preload="metadata" poster={preview} src={`/items/${asset.id}/video`} aria-label={label} data-video>
          {download}
        </video>
        <p class="viewer-video-note" data-video-error hidden>
          This browser cannot play this video. {download} to watch it.
        </p>
      </>
    );
  }
  const preparing = playback.state === 'preparing';
  return (
    <div class="viewer-video-wait" data-preparing={preparing ? `/items/${asset.id}/video` : undefined}>
      {preview ? <img class="viewer-img" src={preview} alt={label} /> : null}
      <p class="viewer-video-note">
        {preparing
          ? `Preparing this video for playback…${playback.percent === undefined ? '' : ` (${playback.percent}%)`} It will play here when it is ready. `
          : `${playback.message} `}
        {download}
      </p>
    </div>
  );
}

function Stage({ asset, playback }: { asset: ViewerAsset; playback?: Playback }) {
  const label = `${asset.originalName}, ${titleFormat.format(wallClock(asset.takenAt, asset.tzOffsetMinutes))}`;
  const preview = asset.previewBlobId ? `/media/${asset.previewBlobId}` : undefined;
  if (asset.kind === 'video') return <VideoStage asset={asset} playback={playback} label={label} preview={preview} />;
  if (!preview) {
    return (
      <div class="viewer-flagged">
        <p class="viewer-flagged-name">{asset.originalName}</p>
        <p>{asset.flag === 'unsupported' ? 'This file is kept safely, but Heirloom cannot show a preview of this kind of file.' : 'This file is kept safely, but it could not be read as a photo or video.'}</p>
        <p>
          <a href={`/items/${asset.id}/original?download=1`}>Download the original</a>
        </p>
      </div>
    );
  }
  // Zooming shows the original as its file says; after a rotation that would be the old way up, so not then.
  const zoom = BROWSER_IMAGES.has(asset.mime) && displayTurns(asset) === 0;
  const img = <img class="viewer-img" src={preview} alt={label} data-original={zoom ? `/items/${asset.id}/original` : undefined} />;
  if (!asset.motion) return img;
  // motion.js plays the motion over the still while the pointer rests on it or a finger holds it.
  return (
    <div class="viewer-live" data-motion={`/items/${asset.id}/motion`}>
      {img}
      <video class="viewer-motion" muted playsinline preload="none" aria-hidden="true" hidden />
      <span class="viewer-live-badge" title="Hover over the photo, or press and hold it, to play its motion">
        Live
      </span>
    </div>
  );
}

export function ViewerPage(props: { page: PageContext; asset: ViewerAsset; playback?: Playback; newer?: TimelineNeighbour; older?: TimelineNeighbour }) {
  const { asset, newer, older } = props;
  const csrf = props.page.csrf;
  const base = `/items/${asset.id}`;
  // Back to the timeline at this item: the page starts with it and scrolls it into view.
  const close = `/?at=${cursorParam({ takenAt: asset.takenAt, id: asset.id })}#i${asset.id}`;
  const title = titleFormat.format(wallClock(asset.takenAt, asset.tzOffsetMinutes));
  const turns = asset.kind === 'photo' ? displayTurns(asset) : 0;
  const zoomable = asset.kind === 'photo' && asset.previewBlobId && BROWSER_IMAGES.has(asset.mime) && turns === 0;
  const preload = (n?: TimelineNeighbour) => (n?.previewBlobId && n.kind !== 'video' ? `/media/${n.previewBlobId}` : undefined);
  return (
    <Layout title={`${asset.originalName} · ${title}`} page={props.page} scripts={asset.motion ? ['/static/viewer.js', '/static/motion.js'] : ['/static/viewer.js']}>
      <div class="viewer" data-viewer>
        <div class="viewer-bar">
          <a class="viewer-close" href={close} data-close aria-label="Back to the library" title="Back to the library (Esc)">
            ✕
          </a>
          <h1 class="viewer-title">
            {title}
            <span class="viewer-name">{asset.originalName}</span>
          </h1>
          <a class="viewer-btn" href={`${base}/original?download=1`} download={asset.originalName}>
            Download
          </a>
        </div>
        <div class={turns ? `viewer-stage viewer-turn-${turns}` : 'viewer-stage'} data-stage>
          <Stage asset={asset} playback={props.playback} />
        </div>
        {newer ? (
          <a class="viewer-nav viewer-prev" rel="prev" href={`/items/${newer.id}`} data-preload={preload(newer)} aria-label="Previous (newer)" title="Previous (←)">
            ‹
          </a>
        ) : null}
        {older ? (
          <a class="viewer-nav viewer-next" rel="next" href={`/items/${older.id}`} data-preload={preload(older)} aria-label="Next (older)" title="Next (→)">
            ›
          </a>
        ) : null}
        <div class="viewer-tools">
          <details class="viewer-info" data-info>
            <summary class="viewer-btn">Info</summary>
            <dl class="viewer-facts">
              {facts(asset).map((r) => (
                <>
                  <dt>{r.label}</dt>
                  <dd>{r.value}</dd>
                </>
              ))}
            </dl>
          </details>
          {zoomable ? (
            <a class="viewer-btn viewer-zoom" href={`${base}/original`} data-zoom>
              Zoom
            </a>
          ) : null}
          <Action csrf={csrf} action={`${base}/favorite`} name="value" value={asset.favorite ? '0' : '1'} pressed={asset.favorite} label={asset.favorite ? '♥ Favourite' : '♡ Favourite'} />
          {asset.kind === 'photo' ? (
            <>
              <Action csrf={csrf} action={`${base}/rotate`} name="direction" value="ccw" label="⟲ Rotate left" />
              <Action csrf={csrf} action={`${base}/rotate`} name="direction" value="cw" label="⟳ Rotate right" />
            </>
          ) : null}
          <Action csrf={csrf} action={`${base}/archive`} name="value" value={asset.archivedAt ? '0' : '1'} label={asset.archivedAt ? 'Unarchive' : 'Archive'} />
          <Action csrf={csrf} action={`${base}/trash`} label="Delete" danger />
        </div>
      </div>
    </Layout>
  );
}

/** 404 for an unknown id or someone else's item (the same page for both), 410 for one's own trashed item. */
export function ItemMissingPage(props: { page: PageContext; reason: 'missing' | 'trashed' }) {
  const trashed = props.reason === 'trashed';
  return (
    <Layout title={trashed ? 'Moved to the trash' : 'Not found'} page={props.page} narrow>
      <h1>{trashed ? 'This photo was moved to the trash' : 'There is no such photo or video'}</h1>
      <p>
        {trashed
          ? 'It was deleted, perhaps from another device. Items stay in the trash for 30 days and can be restored from there until then.'
          : 'The link may be mistyped, the item may have been deleted for good, or it is not one you can see.'}
      </p>
      <p>
        <a href="/">Back to the library</a>
      </p>
    </Layout>
  );
}
