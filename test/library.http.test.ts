import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
let thumbId: string;
let previewId: string;
let originalId: string;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-http-');
  const photo = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'lake.jpg')), originalName: 'lake.jpg' });
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeTextAsJpg(path.join(dir, 'notes.jpg')), originalName: 'notes.jpg' });
  const row = v.ctx.db.$client.prepare('SELECT thumb_blob_id AS t, preview_blob_id AS p, original_blob_id AS o FROM assets WHERE id = ?').get((photo as { assetId: number }).assetId) as { t: string; p: string; o: string };
  ({ t: thumbId, p: previewId, o: originalId } = row);
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

describe('library pages over HTTP', () => {
  it('answers /healthz', async () => {
    const res = await web.get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('lists imported items as a grid, flagged ones named, with strict headers', async () => {
    const res = await web.get('/');
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
    const thumb = await web.get(`/media/${thumbId}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(thumb.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(thumb.headers.get('etag')).toBe(`"${thumbId}"`);
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    const preview = await web.get(`/media/${previewId}`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toMatch(/^image\/(jpeg|webp)$/);
  });

  it('never serves originals, unknown ids or malformed ids through the derived-image route', async () => {
    expect((await web.get(`/media/${originalId}`)).status).toBe(404);
    expect((await web.get(`/media/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await web.get('/media/..%2F..%2Fheirloom.db')).status).toBe(404);
    expect((await web.get('/media/ABC')).status).toBe(404);
  });

  it('serves the page scripts and styles, including vendored ones, and nothing else', async () => {
    expect((await web.get('/static/app.css')).status).toBe(200);
    const vendor = await web.get('/static/vendor/thumbhash.js');
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toContain('javascript');
    // htmx, from node_modules (the LAN may have no internet), as the ES module the pages import.
    const htmx = await web.get('/static/vendor/htmx.js');
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get('content-type')).toContain('javascript');
    expect(await htmx.text()).toContain('export default');
    expect((await web.get('/static/vendor/package.json')).status).toBe(404);
    expect((await web.get('/static/../package.json')).status).toBe(404);
  });
});
