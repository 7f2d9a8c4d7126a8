import { AccessError } from '../errors.js';
import type { Actor } from './actor.js';

/** Everything a request can ask to do. Each service states its action here before it reads or writes. */
export type Action =
  /** See one's own library (a viewer's holds only what is shared with them). */
  | { do: 'browse' }
  | { do: 'read-item'; ownerId: number }
  | { do: 'add-items' }
  | { do: 'change-item'; ownerId: number }
  /** Passwords, 2FA, devices: one's own account, from a signed-in browser only, so a leaked API token cannot take the account over. */
  | { do: 'manage-own-account' }
  /** Who one is (GET /api/v1/me): lets a script check its token. */
  | { do: 'read-own-account' }
  | { do: 'administer' };

/** The one rule book. Items are private to their owner; the admin runs the server but does not browse members' photos. */
export function can(actor: Actor | undefined, action: Action): boolean {
  if (!actor || actor.user.disabledAt) return false;
  const { user } = actor;
  const uploadOnly = actor.via.kind === 'token' && actor.via.scope === 'upload';
  if (uploadOnly) return action.do === 'add-items' && user.role !== 'viewer';
  switch (action.do) {
    case 'browse':
    case 'read-own-account':
      return true;
    case 'manage-own-account':
      return actor.via.kind === 'session';
    case 'read-item':
      return action.ownerId === user.id;
    case 'add-items':
      return user.role !== 'viewer';
    case 'change-item':
      return user.role !== 'viewer' && action.ownerId === user.id;
    case 'administer':
      return user.role === 'admin' && actor.via.kind === 'session';
  }
}

/**
 * Throws unless `can`: 401 without a signed-in actor; 404 for someone else's item (so its existence
 * does not leak); 403 otherwise.
 */
export function authorize(actor: Actor | undefined, action: Action): asserts actor is Actor {
  if (can(actor, action)) return;
  if (!actor) throw new AccessError(401, 'Please sign in first.');
  if ((action.do === 'read-item' || action.do === 'change-item') && action.ownerId !== actor.user.id) throw new AccessError(404, 'There is no such item.');
  throw new AccessError(403, 'Your account may not do this.');
}
