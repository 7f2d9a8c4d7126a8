import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Context as AppContext } from './context.js';
import { UserError } from './errors.js';
import { securityHeaders } from './http/security-headers.js';
import { staticRoutes } from './http/static.routes.js';
import { libraryRoutes } from './library/library.routes.js';
import { LibraryService } from './library/library.service.js';

export function createApp(ctx: AppContext) {
  const library = new LibraryService(ctx);
  const app = new Hono();
  app.use(requestId());
  app.use(securityHeaders);
  app.get('/healthz', (c) => c.text('ok'));
  app.route('/static', staticRoutes);
  app.route('/', libraryRoutes(library));
  app.notFound((c) => c.text('Not found.', 404));
  app.onError((err, c) => {
    if (err instanceof UserError) return c.text(err.message, 400);
    ctx.log.error({ err, requestId: c.get('requestId') }, 'request failed');
    return c.text(`Something went wrong on the server (request ${c.get('requestId')}). The details are in the server log.`, 500);
  });
  return app;
}
