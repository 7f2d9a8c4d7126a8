import { recordAudit } from '../audit/audit.repo.js';
import { hashSecretToken, newSecretToken } from '../auth/secret-token.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { roles, type Role } from '../users/roles.js';
import { createUser } from '../users/users.service.js';
import type { Invite } from '../users/invites.table.js';
import type { User } from '../users/users.table.js';
import { claimInvite, findInviteByHash, insertInvite, listOpenInvites, recordInviteUser, releaseInvite, revokeInvite, type OpenInvite } from './invites.repo.js';

const DAY_MS = 86_400_000;
export const INVITE_DAYS = { min: 1, max: 30, default: 7 } as const;
export const MAX_NOTE_LENGTH = 128;

/** Why an invite link no longer works. */
export type InviteProblem = 'unknown' | 'expired' | 'used' | 'revoked';

export interface InviteForm {
  role: string;
  note: string;
  days: string;
}

export interface Invitee {
  username: string;
  displayName: string;
  password: string;
}

/** Single-use, expiring links with which the admin lets a family member choose their own password. */
export class InviteService {
  constructor(private readonly db: Db) {}

  /** Returns the token exactly once; only its hash is stored. */
  create(by: User, form: InviteForm, client: ClientInfo, now = new Date()): { token: string; invite: Invite } {
    if (!roles.includes(form.role as Role)) throw new UserError(`The role must be one of ${roles.join(', ')}.`, 'invalid-role');
    const days = Number(form.days);
    if (!Number.isInteger(days) || days < INVITE_DAYS.min || days > INVITE_DAYS.max) {
      throw new UserError(`An invite is valid for ${INVITE_DAYS.min} to ${INVITE_DAYS.max} days.`, 'invalid-days');
    }
    const note = form.note.trim();
    if (note.length > MAX_NOTE_LENGTH) throw new UserError(`The note is at most ${MAX_NOTE_LENGTH} characters.`, 'invalid-note');
    const { token, hash } = newSecretToken('hinv');
    const invite = insertInvite(this.db, { tokenHash: hash, role: form.role as Role, note: note || null, createdBy: by.id, createdAt: now, expiresAt: new Date(now.getTime() + days * DAY_MS) });
    recordAudit(this.db, { event: 'invite-created', actor: by, ip: client.ip, detail: describe(invite) });
    return { token, invite };
  }

  listOpen(now = new Date()): OpenInvite[] {
    return listOpenInvites(this.db, now);
  }

  /** False when there is no such open invite (unknown, already used, revoked or expired). */
  revoke(by: User, id: number, client: ClientInfo, now = new Date()): boolean {
    const invite = revokeInvite(this.db, id, now);
    if (invite) recordAudit(this.db, { event: 'invite-revoked', actor: by, ip: client.ip, detail: describe(invite) });
    return Boolean(invite);
  }

  lookup(token: string, now = new Date()): { invite: Invite } | { problem: InviteProblem } {
    const invite = findInviteByHash(this.db, hashSecretToken(token));
    if (!invite) return { problem: 'unknown' };
    if (invite.revokedAt) return { problem: 'revoked' };
    if (invite.usedAt) return { problem: 'used' };
    if (invite.expiresAt <= now) return { problem: 'expired' };
    return { invite };
  }

  /**
   * Creates the invitee's account with the invite's role. The invite is claimed before the (slow)
   * password hash, so two browsers racing with one link cannot both get an account; the claim is
   * given back when the account cannot be created. Throws UserError for what the form must fix.
   */
  async accept(token: string, input: Invitee, client: ClientInfo, now = new Date()): Promise<{ user: User } | { problem: InviteProblem }> {
    const found = this.lookup(token, now);
    if ('problem' in found) return found;
    const { invite } = found;
    if (!claimInvite(this.db, invite.id, now)) return { problem: 'used' };
    let user: User;
    try {
      user = await createUser(this.db, { ...input, role: invite.role });
    } catch (err) {
      releaseInvite(this.db, invite.id);
      throw err;
    }
    recordInviteUser(this.db, invite.id, user.id);
    recordAudit(this.db, { event: 'invite-accepted', actor: user, subject: user.username, ip: client.ip, detail: describe(invite) });
    return { user };
  }
}

const describe = (invite: Invite) => `#${invite.id} ${invite.role}${invite.note ? ` (${invite.note})` : ''}`;
