import { Hono } from 'hono';
import { MemoriesSection } from '../../views/components/memories.js';
import { SearchPage, SearchResults, searchQueryString } from '../../views/pages/search.js';
import { pageContext } from '../../views/page-context.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { isHtmx, resultFromQuery } from '../library/organise.routes.js';
import { parseSearchQuery, SearchService } from './search.service.js';

/** GET /search (the page, or only its results for search-as-you-type) and GET /memories (a fragment). */
export function searchRoutes(deps: { db: Db }) {
  const search = new SearchService(deps);
  return new Hono<AppEnv>()
    .get('/search', (c) => {
      const { query, problems } = parseSearchQuery(c.req.query());
      // Signed out meanwhile (in another tab): send the whole page to sign-in, not into the results box.
      if (!c.var.actor && isHtmx(c)) return c.body(null, 200, { 'HX-Redirect': `/login?next=${encodeURIComponent(`/search${searchQueryString(query)}`)}` });
      const result = search.search(c.var.actor, query);
      const notice = resultFromQuery((n) => c.req.query(n));
      const page = pageContext(c);
      // The results depend on the query string; tell caches that htmx asks for a part of the page.
      c.header('Vary', 'HX-Request');
      if (isHtmx(c)) {
        // The address keeps the search, without the filters left empty.
        c.header('HX-Replace-Url', `/search${searchQueryString(query)}`);
        return c.html(<SearchResults page={page} query={query} result={result} problems={problems} notice={notice} />);
      }
      return c.html(<SearchPage page={page} query={query} result={result} problems={problems} cameras={search.cameras(c.var.actor)} notice={notice} />);
    })
    .get('/memories', (c) => {
      const now = new Date();
      const years = search.memories(c.var.actor, now);
      c.header('Cache-Control', 'private, no-cache');
      return c.html(<MemoriesSection years={years} today={now} />);
    });
}
