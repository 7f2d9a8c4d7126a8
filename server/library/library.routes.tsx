import { Hono } from 'hono';
import { LibraryPage } from '../../views/pages/library.js';
import type { LibraryService } from './library.service.js';

const PAGE_SIZE = 500;
const BLOB_ID = /^[0-9a-f]{32}$/;

export function libraryRoutes(library: LibraryService) {
  return new Hono()
    .get('/', (c) => {
      const { items, more } = library.timeline({}, PAGE_SIZE);
      return c.html(<LibraryPage items={items} more={more} />);
    })
    .get('/media/:blobId', async (c) => {
      const blobId = c.req.param('blobId');
      const image = BLOB_ID.test(blobId) ? await library.derivedImage(blobId) : undefined;
      if (!image) return c.text('No such image.', 404);
      // A blob id names immutable content, so the browser never has to ask again.
      return c.body(new Uint8Array(image.bytes), 200, {
        'Content-Type': image.mime,
        'Cache-Control': 'private, max-age=31536000, immutable',
        ETag: `"${blobId}"`,
      });
    });
}
