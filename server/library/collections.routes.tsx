import { Hono, type Context } from 'hono';
import { CollectionPage } from '../../views/pages/collection.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import { UserError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { field } from '../http/form-errors.js';
import { finished, ID, problem, problemStatus, resultFromQuery } from './organise.routes.js';
import type { CollectionCursor, CollectionKind, GridItem } from './organise.repo.js';
import type { OrganiseService } from './organise.service.js';
import type { TrashService } from './trash.service.js';

const PAGE_SIZE = 240;

function cursorOf(value: string | undefined): CollectionCursor | undefined {
  const m = /^(\d{1,15})\.(\d{1,12})$/.exec(value ?? '');
  return m ? { at: Number(m[1]), id: Number(m[2]) } : undefined;
}

function nextQuery(kind: CollectionKind, items: GridItem[]): string {
  const last = items[items.length - 1]!;
  const at = kind === 'trash' ? last.trashedAt! : last.takenAt;
  return `after=${at.getTime()}.${last.id}`;
}

/** The trash, archive and favourites pages, and deleting from the trash for good. */
export function collectionRoutes(deps: { organise: OrganiseService; trash: TrashService }) {
  const { organise, trash } = deps;

  const render = (c: Context<AppEnv>, kind: CollectionKind, extra: { error?: string; notice?: string; status?: 200 | 409 | 422 } = {}) => {
    authorize(c.var.actor, { do: 'browse' });
    const actor = c.var.actor;
    const after = cursorOf(c.req.query('after'));
    const { items, more } = organise.collection(actor, kind, PAGE_SIZE, after);
    const now = new Date();
    const confirmId = c.req.query('confirm');
    const confirm = kind === 'trash' && confirmId && /^\d{1,12}$/.test(confirmId) ? trash.pendingDelete(actor, Number(confirmId)) : undefined;
    const notice = extra.notice ?? resultFromQuery((n) => c.req.query(n)) ?? trashNotice(c);
    return c.html(
      <CollectionPage
        page={pageContext(c)}
        kind={kind}
        items={items}
        next={more ? nextQuery(kind, items) : undefined}
        total={kind === 'trash' ? trash.count(actor) : undefined}
        notice={notice}
        error={extra.error}
        confirm={confirm}
        now={now}
        back={`/${kind}${after ? `?after=${after.at}.${after.id}` : ''}`}
      />,
      extra.status ?? 200,
    );
  };

  return new Hono<AppEnv>()
    .get('/trash', (c) => render(c, 'trash'))
    .get('/archive', (c) => render(c, 'archive'))
    .get('/favorites', (c) => render(c, 'favorites'))
    .post(`/trash/:id${ID}/delete-now`, async (c) => {
      const id = Number(c.req.param('id'));
      const body = await c.req.parseBody();
      try {
        const { items } = await trash.deleteNow(c.var.actor, id, field(body, 'confirm', 16) !== '');
        return finished(c, `/trash?deleted=${items}`, { id, deleted: true });
      } catch (err) {
        return problem(c, err, '/trash');
      }
    })
    .post('/trash/empty', async (c) => {
      const body = await c.req.parseBody();
      try {
        const { items } = await trash.empty(c.var.actor, field(body, 'confirm', 16) !== '');
        return finished(c, `/trash?deleted=${items}`, { emptied: items });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        const status = problemStatus(err);
        return render(c, 'trash', { error: err.message, status: status === 410 ? 422 : status });
      }
    });
}

function trashNotice(c: Context<AppEnv>): string | undefined {
  const deleted = c.req.query('deleted');
  if (deleted === undefined || !/^\d{1,9}$/.test(deleted)) return undefined;
  const n = Number(deleted);
  return n === 0 ? 'Nothing was deleted: the trash had nothing in it any more.' : `${n} item${n === 1 ? ' was' : 's were'} deleted for good.`;
}
