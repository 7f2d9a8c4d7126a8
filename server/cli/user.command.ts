import { disableUser, enableUser, findAccount, resetPassword } from '../admin/users-admin.service.js';
import type { Config } from '../config.js';
import { openContext } from '../context.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { createUser } from '../users/users.service.js';
import type { Role } from '../users/roles.js';
import { say } from './output.js';
import { readSecret } from './prompt.js';

/** Asks twice at a terminal; a piped password is read once. */
async function newPassword(question: string): Promise<string> {
  const password = await readSecret(question);
  if (process.stdin.isTTY && (await readSecret('Repeat it: ')) !== password) {
    throw new UserError('The two passwords differ; nothing was changed.', 'password-mismatch');
  }
  return password;
}

export async function userCreateCommand(config: Config, log: Logger, username: string, opts: { role: Role; displayName?: string }): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const password = await newPassword(`Password for ${username}: `);
    const user = await createUser(ctx.db, { username, role: opts.role, displayName: opts.displayName, password });
    say(`Created ${user.role} ${user.username}.`);
    return 0;
  } finally {
    await ctx.close();
  }
}

export async function userResetPasswordCommand(config: Config, log: Logger, username: string, opts: { revokeTokens?: boolean } = {}): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const user = findAccount(ctx.db, username);
    const reset = await resetPassword(ctx.db, user, await newPassword(`New password for ${user.username}: `), 'console', opts);
    if (reset.tokensRevoked > 0) {
      say(`Set a new password for ${user.username}, signed out ${sessions(reset.sessions)} and revoked ${tokens(reset.tokensRevoked)}: set those devices up again with new tokens.`);
    } else say(`Set a new password for ${user.username} and signed out ${sessions(reset.sessions)}.`);
    if (reset.tokensKept > 0) {
      const kept = reset.tokensKept === 1 ? 'Its API token (phone backup, scripts) still works' : `Its ${reset.tokensKept} API tokens (phone backup, scripts) still work`;
      say(`${kept}. If the account may have been misused, run this again with --revoke-tokens.`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

export async function userDisableCommand(config: Config, log: Logger, username: string): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const user = findAccount(ctx.db, username);
    const ended = disableUser(ctx.db, user, 'console');
    say(`Disabled ${user.username}${ended ? ` and signed out ${sessions(ended)}` : ''}; their API tokens no longer work.`);
    return 0;
  } finally {
    await ctx.close();
  }
}

export async function userEnableCommand(config: Config, log: Logger, username: string): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const user = findAccount(ctx.db, username);
    enableUser(ctx.db, user, 'console');
    say(`Enabled ${user.username}.`);
    return 0;
  } finally {
    await ctx.close();
  }
}

const sessions = (n: number) => `${n} session${n === 1 ? '' : 's'}`;
const tokens = (n: number) => `${n} API token${n === 1 ? '' : 's'}`;
