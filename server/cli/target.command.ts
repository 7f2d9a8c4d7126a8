import type { Config } from '../config.js';
import { openContext } from '../context.js';
import type { Logger } from '../log.js';
import { credentialsFrom } from '../replication/credentials-from-env.js';
import { formatBytes } from '../format-bytes.js';
import { say } from './output.js';

export interface TargetAddFlags {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  previews: boolean;
  bwlimit?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  password?: string;
  identity?: string;
}

async function withContext<T>(config: Config, log: Logger, fn: (ctx: Awaited<ReturnType<typeof openContext>>) => Promise<T>): Promise<T> {
  const ctx = await openContext(config, log);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function targetAddCommand(config: Config, log: Logger, name: string, url: string, flags: TargetAddFlags): Promise<number> {
  return withContext(config, log, async ({ background }) => {
    const target = await background.targets.add({
      name,
      url,
      options: { endpoint: flags.endpoint, region: flags.region, pathStyle: flags.pathStyle, includePreviews: flags.previews, bytesPerSecond: flags.bwlimit ?? 0 },
      credentials: credentialsFrom(flags),
    });
    say(`Added ${target.name} (${target.url}).`);
    if (target.hostKey) say(`Pinned the server's host key SHA256:${target.hostKey}. A different key later is refused.`);
    say('Remember: a replica is useless without the master key. Keep a copy of the key (or its recovery code) away from this server.');
    return 0;
  });
}

export function targetListCommand(config: Config, log: Logger): Promise<number> {
  return withContext(config, log, async ({ background }) => {
    const targets = background.targets.list();
    if (targets.length === 0) say('No targets yet. Add one with: heirloom target add <name> <url>');
    for (const t of targets) {
      const lag = background.replication.lag(t);
      say(`${t.name}${t.paused ? ' (paused)' : ''}  ${t.url}`);
      say(`  not yet verified: ${lag.items} files, ${formatBytes(lag.bytes)}; last success: ${t.lastSuccessAt?.toISOString() ?? 'never'}; last verified: ${t.lastVerifiedAt?.toISOString() ?? 'never'}`);
      if (t.lastError) say(`  last error (${t.lastErrorAt?.toISOString()}): ${t.lastError}`);
    }
    return 0;
  });
}

export function targetTestCommand(config: Config, log: Logger, name: string): Promise<number> {
  return withContext(config, log, async ({ background }) => {
    const { roundTripMs } = await background.targets.test(name);
    say(`${name} works: wrote, read back and deleted a probe in ${roundTripMs} ms.`);
    return 0;
  });
}

export function targetPauseCommand(config: Config, log: Logger, name: string, paused: boolean): Promise<number> {
  return withContext(config, log, async ({ background }) => {
    background.targets.setPaused(name, paused);
    say(paused ? `Paused ${name}. Nothing is sent there until: heirloom target resume ${name}` : `Resumed ${name}.`);
    return 0;
  });
}

export function targetRemoveCommand(config: Config, log: Logger, name: string): Promise<number> {
  return withContext(config, log, async ({ background }) => {
    background.targets.remove(name);
    say(`Removed ${name}. The copies already there were left in place.`);
    return 0;
  });
}
