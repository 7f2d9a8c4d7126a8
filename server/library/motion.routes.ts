import { Hono } from 'hono';
import type { Context } from '../context.js';
import { IntegrityError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { rangedResponse } from '../http/ranged-response.js';
import { contentDisposition, DownloadError } from './download.service.js';
import { MotionService } from './motion.service.js';

/**
 * GET /items/:id/motion: the moving part of a Live Photo (its MOV) or a motion photo (the video inside the
 * photo's file), with Range support; ?download=1 sends it as an attachment under its own name.
 */
export function motionRoutes(ctx: Pick<Context, 'db' | 'store' | 'keyring' | 'log'>) {
  const motions = new MotionService(ctx);
  return new Hono<AppEnv>().get('/items/:id{[0-9]{1,12}}/motion', async (c) => {
    try {
      const download = c.req.query('download') === '1';
      const motion = motions.motion(c.var.actor, Number(c.req.param('id')), { download });
      const headers = {
        'Content-Type': motion.contentType,
        'Content-Disposition': contentDisposition(download ? 'attachment' : 'inline', motion.name),
        'Cache-Control': 'private, no-cache',
      };
      return await rangedResponse(c, { etag: motion.etag, headers, open: motion.open });
    } catch (err) {
      if (err instanceof DownloadError) return c.text(err.message, err.status);
      if (err instanceof IntegrityError) {
        ctx.log.error({ err, requestId: c.get('requestId') }, 'a motion video could not be read');
        return c.text(`The stored file could not be read: it is damaged or missing, and a scrub will list it under Problems (request ${c.get('requestId')}).`, 500);
      }
      throw err;
    }
  });
}
