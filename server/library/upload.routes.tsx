import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import { UploadPage } from '../../views/pages/upload.js';
import { authorize } from '../auth/access.js';
import type { Context } from '../context.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { UploadService, UploadError } from './upload.service.js';

/**
 * GET /upload: the page. POST /upload: one file per request as multipart/form-data (field "file", optional
 * "lastModified" and "relativePath"), from the page (session + X-CSRF-Token) or a device (Bearer token of scope
 * upload or full). Answers JSON {status, assetId, message}: 201 imported, 200 duplicate, 4xx/5xx with a message.
 */
export function uploadRoutes(ctx: Pick<Context, 'ingest' | 'store' | 'keyring' | 'log'>) {
  const uploads = new UploadService({ ingest: ctx.ingest, store: ctx.store, keyring: ctx.keyring, log: ctx.log });
  return new Hono<AppEnv>()
    .get('/upload', (c) => {
      authorize(c.var.actor, { do: 'add-items' });
      return c.html(<UploadPage page={pageContext(c)} maxFileBytes={uploads.maxFileBytes} />);
    })
    .post('/upload', async (c) => {
      const raw = c.req.raw;
      const headers: Record<string, string> = {};
      raw.headers.forEach((value, name) => (headers[name] = value));
      try {
        const body = () => {
          if (raw.bodyUsed) throw new UploadError(400, 'The upload could not be read: send the file as multipart/form-data.');
          return raw.body ? Readable.fromWeb(raw.body as WebReadableStream<Uint8Array>) : Readable.from([]);
        };
        const result = await uploads.upload(c.var.actor, { headers, body });
        return c.json({ status: result.status, assetId: result.assetId, flag: result.flag ?? null, name: result.name, message: result.message }, result.status === 'imported' ? 201 : 200);
      } catch (err) {
        if (err instanceof UploadError || err instanceof AccessError) {
          // Refused before the whole body was read: the connection closes after the answer (the rest is not wanted).
          if (err.status === 413) c.header('Connection', 'close');
          return c.json({ status: 'error', message: err.message }, err.status);
        }
        ctx.log.error({ err, requestId: c.get('requestId') }, 'upload failed');
        return c.json({ status: 'error', message: `Something went wrong on the server (request ${c.get('requestId')}). Nothing was stored; the details are in the server log.` }, 500);
      }
    });
}
