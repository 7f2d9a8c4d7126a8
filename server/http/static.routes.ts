import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { packageRoot, staticDir } from '../paths.js';

/** Browser code shipped inside npm packages, served from node_modules: the LAN may have no internet. */
const vendor: Record<string, string> = {
  'thumbhash.js': 'node_modules/thumbhash/thumbhash.js',
  // The ES module build: pages load it with <script type="module"> (or import it), it sets window.htmx too.
  'htmx.js': 'node_modules/htmx.org/dist/htmx.esm.min.js',
};

export const staticRoutes = new Hono()
  .get('/vendor/:file', async (c) => {
    const file = vendor[c.req.param('file')];
    if (!file) return c.notFound();
    const body = await readFile(path.join(packageRoot, file));
    return c.body(body, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' });
  })
  .use('/*', serveStatic({ root: staticDir, rewriteRequestPath: (p) => p.replace(/^\/static/, '') }));
