import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { ownDamagedItems } from '../integrity/problems.routes.js';
import { LibraryPage } from '../../views/pages/library.js';
import type { LibraryService } from './library.service.js';

const PAGE_SIZE = 500;
const BLOB_ID = /^[0-9a-f]{32}$/;

export function libraryRoutes(library: LibraryService, db: Db) {
  return new Hono<AppEnv>()
    .get('/', (c) => {
      const { items, more } = library.timeline(c.var.actor, PAGE_SIZE);
      const damaged = c.var.actor ? ownDamagedItems(db, c.var.actor.user.id).length : 0;
      return c.html(<LibraryPage page={pageContext(c)} items={items} more={more} damaged={damaged} />);
    })
    .get('/media/:blobId', async (c) => {
      const blobId = c.req.param('blobId');
      if (!BLOB_ID.test(blobId)) return c.text('There is no such image.', 404);
      const image = await library.derivedImage(c.var.actor, blobId);
      // A blob id names immutable content, so the browser never has to ask again.
      return c.body(new Uint8Array(image.bytes), 200, {
        'Content-Type': image.mime,
        'Cache-Control': 'private, max-age=31536000, immutable',
        ETag: `"${blobId}"`,
      });
    });
}
