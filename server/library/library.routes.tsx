import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import type { AppEnv } from '../http/app-env.js';
import { LibraryPage } from '../../views/pages/library.js';
import type { LibraryService } from './library.service.js';

const PAGE_SIZE = 500;
const BLOB_ID = /^[0-9a-f]{32}$/;

export function libraryRoutes(library: LibraryService) {
  return new Hono<AppEnv>()
    .get('/', (c) => {
      const { items, more } = library.timeline(c.var.actor, PAGE_SIZE);
      return c.html(<LibraryPage page={pageContext(c)} items={items} more={more} />);
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
