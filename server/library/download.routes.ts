import { Readable } from 'node:stream';
import { Hono, type Context as HonoContext } from 'hono';
import type { Context } from '../context.js';
import { IntegrityError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { rangedResponse } from '../http/ranged-response.js';
import { openBlobBody } from './blob-body.js';
import { contentDisposition, DownloadError, DownloadService, downloadLimits, type ZipPlan } from './download.service.js';
import { VideoService } from './video.service.js';

const ID = /^\d{1,12}$/;
// Stored files never change, but access to them can (trash, sharing): the browser asks each time, cheaply.
const PRIVATE_REVALIDATE = 'private, no-cache';

/**
 * Originals, videos as a browser plays them, and zips of originals, decrypted as they stream:
 *   GET  /items/:id/original            inline (or ?download=1 as an attachment), with Range support for video
 *   GET  /items/:id/video               what a browser plays: the web copy, else a playable original, with Range
 *   POST /download.zip                  form field ids: repeated or comma separated
 *   GET  /download/day/YYYY-MM-DD.zip   the signed-in person's items taken that day
 */
export function downloadRoutes(ctx: Pick<Context, 'db' | 'store' | 'keyring' | 'log'>) {
  const downloads = new DownloadService(ctx);
  const videos = new VideoService(ctx);

  const refused = (c: HonoContext<AppEnv>, err: unknown): Response => {
    if (err instanceof DownloadError) return c.text(err.message, err.status);
    if (err instanceof IntegrityError) {
      ctx.log.error({ err, requestId: c.get('requestId') }, 'an original could not be read for a download');
      return c.text(`The stored file could not be read: it is damaged or missing, and a scrub will list it under Problems (request ${c.get('requestId')}).`, 500);
    }
    throw err;
  };

  const sendZip = async (c: HonoContext<AppEnv>, plan: ZipPlan): Promise<Response> => {
    const headers: Record<string, string> = {
      'Content-Type': 'application/zip',
      'Content-Disposition': contentDisposition('attachment', plan.filename),
      'Cache-Control': 'private, no-store',
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const { stream, size } = downloads.zip(plan);
    headers['Content-Length'] = String(await size);
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, headers);
  };

  return new Hono<AppEnv>()
    .get('/items/:id{[0-9]{1,12}}/original', async (c) => {
      try {
        const { asset, contentType, inline } = downloads.original(c.var.actor, Number(c.req.param('id')));
        const headers = {
          'Content-Type': contentType,
          'Content-Disposition': contentDisposition(inline && c.req.query('download') !== '1' ? 'inline' : 'attachment', asset.originalName),
          'Cache-Control': PRIVATE_REVALIDATE,
        };
        return await rangedResponse(c, { etag: `"${asset.originalBlobId}"`, headers, open: () => downloads.open(asset) });
      } catch (err) {
        return refused(c, err);
      }
    })
    .get('/items/:id{[0-9]{1,12}}/video', async (c) => {
      try {
        const { blobId, contentType } = videos.stream(c.var.actor, Number(c.req.param('id')));
        const headers = { 'Content-Type': contentType, 'Cache-Control': PRIVATE_REVALIDATE };
        return await rangedResponse(c, { etag: `"${blobId}"`, headers, open: () => openBlobBody(ctx, blobId) });
      } catch (err) {
        return refused(c, err);
      }
    })
    .post('/download.zip', async (c) => {
      try {
        const form = await c.req.parseBody({ all: true });
        const values = ([] as unknown[]).concat(form.ids ?? []);
        const parts = values.flatMap((v) => (typeof v === 'string' ? v.split(',') : ['?'])).map((s) => s.trim()).filter((s) => s !== '');
        if (parts.length > downloadLimits.maxItems * 2) throw new DownloadError(413, `You chose ${parts.length} items, more than the ${downloadLimits.maxItems} one download may hold.`);
        const bad = parts.find((p) => !ID.test(p));
        if (bad !== undefined) throw new DownloadError(422, `"${bad.slice(0, 20)}" is not an item id.`);
        return await sendZip(c, downloads.selection(c.var.actor, parts.map(Number)));
      } catch (err) {
        return refused(c, err);
      }
    })
    .get('/download/day/:file{[0-9]{4}-[0-9]{2}-[0-9]{2}\\.zip}', async (c) => {
      try {
        return await sendZip(c, downloads.day(c.var.actor, c.req.param('file').slice(0, -'.zip'.length)));
      } catch (err) {
        return refused(c, err);
      }
    });
}
