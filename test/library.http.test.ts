import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.js';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, type TestVault } from './helpers/context.js';

let v: TestVault;
let dir: string;
let app: ReturnType<typeof createApp>;
let thumbId: string;
let previewId: string;
let originalId: string;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-http-');
  app = createApp(v.ctx);
  const photo = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'lake.jpg')), originalName: 'lake.jpg' });
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeTextAsJpg(path.join(dir, 'notes.jpg')), originalName: 'notes.jpg' });
  const row = v.ctx.db.$client.prepare('SELECT thumb_blob_id AS t, preview_blob_id AS p, original_blob_id AS o FROM assets WHERE id = ?').get((photo as { assetId: number }).assetId) as { t: string; p: string; o: string };
  ({ t: thumbId, p: previewId, o: originalId } = row);
});

afterAll(async () => {
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

describe('library pages over HTTP', () => {
  it('answers /healthz', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('lists imported items as a grid, flagged ones named, with strict headers', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`src="/media/${thumbId}"`);
    expect(html).toContain('notes.jpg');
    expect(html).toContain('Kept, no preview');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves thumbnails and previews decrypted, typed from their bytes, cached for good', async () => {
    const thumb = await app.request(`/media/${thumbId}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(thumb.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(thumb.headers.get('etag')).toBe(`"${thumbId}"`);
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const preview = await app.request(`/media/${previewId}`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toMatch(/^image\/(jpeg|webp)$/);
  });

  it('never serves originals, unknown ids or malformed ids through the derived-image route', async () => {
    expect((await app.request(`/media/${originalId}`)).status).toBe(404);
    expect((await app.request(`/media/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await app.request('/media/..%2F..%2Fheirloom.db')).status).toBe(404);
    expect((await app.request('/media/ABC')).status).toBe(404);
  });

  it('serves the page scripts and styles, including vendored ones, and nothing else', async () => {
    expect((await app.request('/static/app.css')).status).toBe(200);
    const vendor = await app.request('/static/vendor/thumbhash.js');
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toContain('javascript');
    expect((await app.request('/static/vendor/package.json')).status).toBe(404);
    expect((await app.request('/static/../package.json')).status).toBe(404);
  });
});
