import { Hono } from 'hono';
import { EditPage } from '../../views/pages/edit.js';
import { HistoryPage } from '../../views/pages/history.js';
import { pageContext } from '../../views/page-context.js';
import { can } from '../auth/access.js';
import { UserError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { field } from '../http/form-errors.js';
import { safeNext } from '../http/safe-next.js';
import { EditConflictError, type EditFormValues, type EditsService } from './edits.service.js';
import { backOf, finished, ID, problem, problemStatus } from './organise.routes.js';

const FORM_FIELDS = ['date', 'time', 'tz', 'description', 'latitude', 'longitude', 'base'] as const satisfies readonly (keyof EditFormValues)[];

/** Editing an item's details (date and zone, description, location), its history, and reverting a version. */
export function editRoutes(edits: EditsService) {
  return new Hono<AppEnv>()
    .get(`/items/:id${ID}/edit`, (c) => {
      const id = Number(c.req.param('id'));
      const back = c.req.query('back') ? safeNext(c.req.query('back')) : `/items/${id}/history`;
      try {
        const { item, values } = edits.editForm(c.var.actor, id);
        return c.html(<EditPage page={pageContext(c)} item={item} values={values} back={back} />);
      } catch (err) {
        return problem(c, err, back);
      }
    })
    .post(`/items/:id${ID}/edit`, async (c) => {
      const id = Number(c.req.param('id'));
      const body = await c.req.parseBody();
      const back = backOf(body, `/items/${id}/history`);
      const form = Object.fromEntries(FORM_FIELDS.map((k) => [k, field(body, k, k === 'description' ? 4000 : 64)])) as Record<string, string>;
      try {
        const { versionId } = edits.edit(c.var.actor, id, form);
        const to = back === `/items/${id}/history` ? `${back}?saved=${versionId ? 1 : 0}` : back;
        return finished(c, to, { id, edited: true, versionId });
      } catch (err) {
        if (!(err instanceof UserError) || err.code === 'trashed') return problem(c, err, back);
        // Re-render the form: with what was typed after a mistake, with the current values after a clash.
        const current = edits.editForm(c.var.actor, id);
        const values = err instanceof EditConflictError ? current.values : ({ ...(form as unknown as EditFormValues), base: current.values.base } satisfies EditFormValues);
        return c.html(<EditPage page={pageContext(c)} item={current.item} values={values} back={back} error={err.message} />, problemStatus(err));
      }
    })
    .get(`/items/:id${ID}/history`, (c) => {
      const id = Number(c.req.param('id'));
      const { item, versions } = edits.history(c.var.actor, id);
      const saved = c.req.query('saved');
      const notice = saved === '1' ? 'Saved. The previous values are kept below.' : saved === '0' ? 'Nothing had changed, so nothing was saved.' : c.req.query('reverted') === '1' ? 'Reverted. The revert is itself in the history, so it can be undone too.' : undefined;
      return c.html(<HistoryPage page={pageContext(c)} item={item} versions={versions} canEdit={can(c.var.actor, { do: 'change-item', ownerId: item.ownerId })} notice={notice} />);
    })
    .post(`/items/:id${ID}/versions/:vid${ID}/revert`, async (c) => {
      const id = Number(c.req.param('id'));
      const vid = Number(c.req.param('vid'));
      const body = await c.req.parseBody();
      const back = backOf(body, `/items/${id}/history?reverted=1`);
      try {
        const { versionId } = edits.revert(c.var.actor, id, vid);
        return finished(c, back, { id, reverted: vid, versionId });
      } catch (err) {
        return problem(c, err, `/items/${id}/history`);
      }
    });
}
