import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { ownDamagedItems } from '../integrity/problems.routes.js';
import { LibraryPage } from '../../views/pages/library.js';
import type { LibraryService } from './library.service.js';
import { TIMELINE_PAGE_SIZE, timelineStart } from './timeline.routes.js';

const BLOB_ID = /^[0-9a-f]{32}$/;

export function libraryRoutes(library: LibraryService, db: Db) {
  return new Hono<AppEnv>()
    .get('/', (c) => {
      // The timeline: from the top, or from a position (?at=, ?after=, ?before=, ?from=YYYY-MM).
      const position = timelineStart((name) => c.req.query(name));
      if (!position) return c.text('That position in the timeline is not valid. Go back to the library and try again.', 400);
      const page = library.timelinePage(c.var.actor, position.start, TIMELINE_PAGE_SIZE, { checkNewer: true });
      // A page opened from "newer than here" has older items below it: the position it was opened from.
      const older = page.older ?? ('before' in position.start && page.items.length ? { takenAt: page.items.at(-1)!.takenAt, id: page.items.at(-1)!.id } : undefined);
      const damaged = c.var.actor ? ownDamagedItems(db, c.var.actor.user.id).length : 0;
      return c.html(
        <LibraryPage
          page={pageContext(c)}
          items={page.items}
          newer={page.newer}
          older={older}
          start={position.fromTop ? undefined : { month: position.month }}
          damaged={damaged}
        />,
      );
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
