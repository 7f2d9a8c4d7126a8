import type { SearchQuery, SearchResult } from '../../server/search/search.service.js';
import { SEARCH_LIMIT } from '../../server/search/search.service.js';
import { Notice } from '../components/form.js';
import { BulkBar, SelectGrid } from '../components/select-grid.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { SectionNav } from './collection.js';

/** The query string that reproduces a search (only the fields that are set). */
export function searchQueryString(q: SearchQuery): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  if (q.kind) p.set('kind', q.kind);
  if (q.favorite) p.set('favorite', '1');
  if (q.camera) p.set('camera', q.camera);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The part search-as-you-type swaps: what was found, with the selection bar for acting on it. */
export function SearchResults(props: { page: PageContext; query: SearchQuery; result: SearchResult; problems: string[]; notice?: string }) {
  const { result, query } = props;
  const n = result.hits.length;
  return (
    <div id="search-results" class="search-results">
      {props.problems.map((p) => (
        <Notice error={p} />
      ))}
      <Notice ok={props.notice} />
      {!result.searched ? (
        <p class="muted search-hint">Type a word from a file name, description, tag, camera or place, or pick a filter.</p>
      ) : n === 0 ? (
        <p class="empty search-none" role="status">
          Nothing found. Try fewer or shorter words: each word also matches the start of longer ones.
        </p>
      ) : (
        <>
          <p class="search-count" role="status">
            {result.more ? `The ${SEARCH_LIMIT} best matches are shown; add a word or a filter to narrow the search.` : `${n} found`}
          </p>
          <BulkBar
            csrf={props.page.csrf}
            back={`/search${searchQueryString(query)}`}
            buttons={[
              { action: 'favorite', label: 'Favourite' },
              { action: 'unfavorite', label: 'Unfavourite' },
              { action: 'archive', label: 'Archive' },
              { action: 'trash', label: 'Move to trash', danger: true },
            ]}
            removes={['trash']}
            readOnly={props.page.user?.role === 'viewer'}
          />
          <SelectGrid items={result.hits} label="Search results" />
        </>
      )}
    </div>
  );
}

/**
 * Search: one box and the filters. With htmx, typing waits for a 300 ms pause, then fetches only the
 * results part (hx-sync replaces a request still in flight), and the address keeps the search. Without
 * script, the form is a plain GET and the whole page comes back.
 */
export function SearchPage(props: { page: PageContext; query: SearchQuery; result: SearchResult; problems: string[]; cameras: string[]; notice?: string }) {
  const { query } = props;
  return (
    <Layout title={query.q ? `Search: ${query.q}` : 'Search'} page={props.page} scripts={['/static/vendor/htmx.js', '/static/select.js', '/static/search.js']}>
      <SectionNav current="search" />
      <h1>Search</h1>
      <form
        id="search-form"
        class="search-form"
        role="search"
        method="get"
        action="/search"
        hx-get="/search"
        hx-trigger="input changed delay:300ms, change, submit"
        hx-target="#search-results"
        hx-swap="outerHTML"
        hx-sync="this:replace"
        hx-replace-url="true"
      >
        <div class="search-box">
          <label for="search-q" class="visually-hidden">
            Search your photos
          </label>
          <input id="search-q" name="q" type="search" value={query.q} maxlength={200} autocomplete="off" spellcheck={false} placeholder="File names, descriptions, tags, cameras, places" autofocus />
          <button type="submit" class="primary">
            Search
          </button>
        </div>
        <fieldset class="search-filters">
          <legend class="visually-hidden">Filters</legend>
          <div class="field">
            <label for="search-from">From</label>
            <input id="search-from" name="from" type="date" value={query.from} />
          </div>
          <div class="field">
            <label for="search-to">To</label>
            <input id="search-to" name="to" type="date" value={query.to} />
          </div>
          <div class="field">
            <label for="search-kind">Kind</label>
            <select id="search-kind" name="kind">
              <option value="" selected={!query.kind}>
                Photos and videos
              </option>
              <option value="photo" selected={query.kind === 'photo'}>
                Photos
              </option>
              <option value="video" selected={query.kind === 'video'}>
                Videos
              </option>
            </select>
          </div>
          <div class="field">
            <label for="search-camera">Camera</label>
            <select id="search-camera" name="camera">
              <option value="" selected={!query.camera}>
                Any camera
              </option>
              {props.cameras.map((cam) => (
                <option value={cam} selected={query.camera === cam}>
                  {cam}
                </option>
              ))}
              {query.camera && !props.cameras.includes(query.camera) ? (
                <option value={query.camera} selected>
                  {query.camera}
                </option>
              ) : null}
            </select>
          </div>
          <label class="search-fav">
            <input type="checkbox" name="favorite" value="1" checked={query.favorite} /> Favourites only
          </label>
        </fieldset>
      </form>
      <SearchResults page={props.page} query={query} result={props.result} problems={props.problems} notice={props.notice} />
    </Layout>
  );
}
