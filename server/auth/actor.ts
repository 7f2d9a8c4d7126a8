import type { User } from '../users/users.table.js';
import type { TokenScope } from './api-tokens.table.js';

/** Who is making a request: a signed-in browser or a device with an API token. */
export interface Actor {
  user: User;
  via: { kind: 'session'; sessionId: number } | { kind: 'token'; tokenId: number; scope: TokenScope };
}
