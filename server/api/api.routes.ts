import { Hono } from 'hono';
import { authorize } from '../auth/access.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';

/** The JSON API for the sync tool and scripts (`Authorization: Bearer hlt_…`), mounted at /api/v1. */
export function apiRoutes() {
  return new Hono<AppEnv>()
    .get('/me', (c) => {
      authorize(c.var.actor, { do: 'read-own-account' });
      const { user, via } = c.var.actor;
      return c.json({ username: user.username, role: user.role, scope: via.kind === 'token' ? via.scope : 'session' });
    })
    .onError((err, c) => {
      if (err instanceof AccessError) return c.json({ error: err.message }, err.status);
      throw err;
    });
}
