import type { Actor } from '../auth/actor.js';
import type { Session } from '../auth/sessions.table.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import type { User } from '../users/users.table.js';

/** What the middleware puts on every request before a route sees it. */
export interface AppEnv {
  Variables: {
    requestId: string;
    client: ClientInfo & { secure: boolean };
    /** Set once a request is signed in (a full session or an API token). */
    actor?: Actor;
    /** A browser that gave the right password and still owes its second factor. */
    pendingMfa?: { session: Session; user: User };
    /** The CSRF token forms and htmx requests must send back. */
    csrf: string;
  };
}
