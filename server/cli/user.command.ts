import type { Config } from '../config.js';
import { openContext } from '../context.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { createUser } from '../users/users.service.js';
import type { Role } from '../users/roles.js';
import { say } from './output.js';
import { readSecret } from './prompt.js';

export async function userCreateCommand(config: Config, log: Logger, username: string, opts: { role: Role; displayName?: string }): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const password = await readSecret(`Password for ${username}: `);
    if (process.stdin.isTTY && (await readSecret('Repeat it: ')) !== password) {
      throw new UserError('The two passwords differ; nothing was changed.', 'password-mismatch');
    }
    const user = await createUser(ctx.db, { username, role: opts.role, displayName: opts.displayName, password });
    say(`Created ${user.role} ${user.username}.`);
    return 0;
  } finally {
    await ctx.close();
  }
}
