import { Hono } from 'hono';
import { pageContext } from '../../views/page-context.js';
import { ItemMissingPage, ViewerPage } from '../../views/pages/viewer.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import type { LibraryService } from './library.service.js';
import type { VideoService } from './video.service.js';

export function viewerRoutes(library: LibraryService, videos: VideoService) {
  return new Hono<AppEnv>().get('/items/:id{[0-9]{1,12}}', (c) => {
    // Load → check → respond. Another member's item and an unknown id get the same page, so a shared
    // link tells nobody what exists; a trashed item of one's own says where it went.
    let view;
    try {
      view = library.item(c.var.actor, Number(c.req.param('id')));
    } catch (err) {
      if (err instanceof AccessError && err.status === 404) return c.html(<ItemMissingPage page={pageContext(c)} reason="missing" />, 404);
      throw err;
    }
    if (view.state === 'trashed') return c.html(<ItemMissingPage page={pageContext(c)} reason="trashed" />, 410);
    const playback = view.asset.kind === 'video' ? videos.playback(c.var.actor, view.asset.id) : undefined;
    return c.html(<ViewerPage page={pageContext(c)} asset={view.asset} playback={playback} newer={view.newer} older={view.older} />);
  });
}
