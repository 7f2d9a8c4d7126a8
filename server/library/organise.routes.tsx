import { Hono, type Context } from 'hono';
import { ActionProblemPage } from '../../views/pages/collection.js';
import { pageContext } from '../../views/page-context.js';
import type { Context as AppContext } from '../context.js';
import { UserError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { field } from '../http/form-errors.js';
import { safeNext } from '../http/safe-next.js';
import { collectionRoutes } from './collections.routes.js';
import { EditsService } from './edits.service.js';
import { editRoutes } from './edits.routes.js';
import { bulkActions, OrganiseService, parseIds, type BulkAction, type BulkResult } from './organise.service.js';
import { TrashService } from './trash.service.js';

/** An item id in a path: digits only, so anything else is a plain 404 before any handler runs. */
export const ID = '{[0-9]{1,12}}';

/** A request htmx made to swap part of a page (not a history restore, which wants the whole page). */
export function isHtmx(c: Context<AppEnv>): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true';
}

/** Where to go after a form: a path on this server only (as after sign-in), `fallback` when none is given. */
export function backOf(body: Record<string, unknown>, fallback = '/'): string {
  const back = field(body, 'back', 2048);
  return back ? safeNext(back) : fallback;
}

/** The status a refused action gets: 410 for an item in the trash, 409 for a clash with another device, 422 otherwise. */
export function problemStatus(err: UserError): 409 | 410 | 422 {
  if (err.code === 'trashed') return 410;
  if (err.code === 'conflict' || err.code === 'not-trashed') return 409;
  return 422;
}

/**
 * A refused action, told the way the request asked: a small fragment for htmx (which swaps 4xx answers
 * into its target), otherwise a short page with a way back. Errors other than UserError propagate.
 */
export function problem(c: Context<AppEnv>, err: unknown, back: string): Response | Promise<Response> {
  if (!(err instanceof UserError)) throw err;
  const status = problemStatus(err);
  if (isHtmx(c)) {
    return c.html(
      <p class="notice error org-problem" role="alert">
        {err.message}
      </p>,
      status,
    );
  }
  const title = status === 410 ? 'In the trash' : status === 409 ? 'Changed elsewhere' : 'Not done';
  return c.html(<ActionProblemPage page={pageContext(c)} title={title} message={err.message} back={back} />, status);
}

/**
 * Done: htmx gets 204 (or a line to show, an alert when `partly` some of it could not be done) and an
 * `heirloom:changed` event to update its page; a form goes back.
 */
export function finished(c: Context<AppEnv>, back: string, detail: Record<string, unknown>, message?: string, partly = false): Response | Promise<Response> {
  if (isHtmx(c)) {
    const headers = { 'HX-Trigger': JSON.stringify({ 'heirloom:changed': detail }) };
    if (message) {
      return c.html(
        <p class={partly ? 'notice error org-done' : 'notice ok org-done'} role={partly ? 'alert' : 'status'}>
          {message}
        </p>,
        200,
        headers,
      );
    }
    return c.body(null, 204, headers);
  }
  return c.redirect(back, 303);
}

const pastTense: Record<BulkAction, string> = {
  favorite: 'marked as favourites',
  unfavorite: 'removed from favourites',
  archive: 'archived',
  unarchive: 'returned to the library',
  trash: 'moved to the trash',
  restore: 'restored',
};

const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;

/** What a bulk action did, in a sentence, including what it had to leave alone. */
export function bulkMessage(r: Pick<BulkResult, 'action' | 'done' | 'inTrash' | 'missing'>): string {
  const parts = [`${items(r.done)} ${pastTense[r.action]}.`];
  if (r.inTrash) parts.push(`${items(r.inTrash)} ${r.inTrash === 1 ? 'was' : 'were'} left as ${r.inTrash === 1 ? 'it is: it is' : 'they are: they are'} in the trash (moved there on another device?).`);
  if (r.missing) parts.push(`${items(r.missing)} no longer exist${r.missing === 1 ? 's' : ''} (deleted on another device?).`);
  return parts.join(' ');
}

/** The bulk result carried to the page the user returns to, for the pages that show it. */
function withResult(back: string, r: BulkResult): string {
  if (!/^\/(trash|archive|favorites|search)(\?|$)/.test(back)) return back;
  const url = new URL(back, 'http://heirloom.invalid');
  for (const k of ['done', 'n', 'intrash', 'gone']) url.searchParams.delete(k);
  url.searchParams.set('done', r.action);
  url.searchParams.set('n', String(r.done));
  if (r.inTrash) url.searchParams.set('intrash', String(r.inTrash));
  if (r.missing) url.searchParams.set('gone', String(r.missing));
  return `${url.pathname}${url.search}`;
}

/** Reads back a bulk result from a page's query string (see withResult). */
export function resultFromQuery(q: (name: string) => string | undefined): string | undefined {
  const action = q('done') as BulkAction | undefined;
  if (!action || !bulkActions.includes(action)) return undefined;
  const num = (name: string) => Math.min(1e6, Math.max(0, Number.parseInt(q(name) ?? '0', 10) || 0));
  return bulkMessage({ action, done: num('n'), inTrash: num('intrash'), missing: num('gone') });
}

function flag(body: Record<string, unknown>): boolean | undefined {
  const value = field(body, 'value', 8);
  return value === '1' ? true : value === '0' ? false : undefined;
}

/**
 * Organising items: favourite, archive, trash and restore (one or many), rotate, and mounted here too,
 * editing with history and the trash, archive and favourites pages.
 */
export function organiseRoutes(ctx: Pick<AppContext, 'db' | 'store' | 'log'>) {
  const organise = new OrganiseService({ db: ctx.db });
  const edits = new EditsService({ db: ctx.db });
  const trash = new TrashService({ db: ctx.db, store: ctx.store, log: ctx.log });

  /** Runs a single-item action: the id from the path, the form body, then finished() or problem(). */
  const itemAction =
    (act: (c: Context<AppEnv>, id: number, body: Record<string, unknown>) => Record<string, unknown>) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      const id = Number(c.req.param('id'));
      const body = await c.req.parseBody();
      const back = backOf(body);
      try {
        return finished(c, back, { id, ...act(c, id, body) });
      } catch (err) {
        return problem(c, err, back);
      }
    };

  return new Hono<AppEnv>()
    .post(
      `/items/:id${ID}/favorite`,
      itemAction((c, id, body) => {
        const value = flag(body);
        organise.favorite(c.var.actor, id, value);
        return { favorite: value };
      }),
    )
    .post(
      `/items/:id${ID}/archive`,
      itemAction((c, id, body) => {
        const value = flag(body);
        organise.archive(c.var.actor, id, value);
        return { archived: value };
      }),
    )
    .post(
      `/items/:id${ID}/trash`,
      itemAction((c, id) => {
        organise.trash(c.var.actor, id);
        return { trashed: true };
      }),
    )
    .post(
      `/items/:id${ID}/restore`,
      itemAction((c, id) => {
        organise.restore(c.var.actor, id);
        return { trashed: false };
      }),
    )
    .post(
      `/items/:id${ID}/rotate`,
      itemAction((c, id, body) => {
        const direction = field(body, 'direction', 8);
        const { orientation } = edits.rotate(c.var.actor, id, direction === 'cw' || direction === 'ccw' ? direction : undefined);
        return { orientation };
      }),
    )
    .post('/items/bulk', async (c) => {
      const body = await c.req.parseBody({ all: true });
      const back = backOf({ back: Array.isArray(body.back) ? body.back[0] : body.back });
      try {
        const action = field({ action: Array.isArray(body.action) ? body.action[0] : body.action }, 'action', 16);
        const ids = parseIds(body.ids);
        const result = organise.bulk(c.var.actor, bulkActions.includes(action as BulkAction) ? (action as BulkAction) : undefined, ids);
        return finished(c, withResult(back, result), { ...result }, bulkMessage(result), result.skipped.length > 0);
      } catch (err) {
        return problem(c, err, back);
      }
    })
    .route('/', editRoutes(edits))
    .route('/', collectionRoutes({ organise, trash }));
}
