import type { Context } from 'hono';
import type { AppEnv } from '../server/http/app-env.js';
import type { User } from '../server/users/users.table.js';

/** What every page needs from the request: who is signed in, and the CSRF token for its forms. */
export interface PageContext {
  user?: User;
  csrf: string;
}

export function pageContext(c: Context<AppEnv>): PageContext {
  return { user: c.var.actor?.user, csrf: c.var.csrf };
}
