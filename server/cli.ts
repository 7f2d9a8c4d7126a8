#!/usr/bin/env node
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, unknownVariables } from './config.js';
import { IntegrityError, UserError } from './errors.js';
import { createLogger } from './log.js';
import { roles } from './users/roles.js';
import { warn } from './cli/output.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
};

// Each command loads its own modules when it runs, so `--help` and `healthcheck` start in milliseconds.

/** Commands log only warnings to stdout's JSON log; their own output is for people. */
function setup(level?: string) {
  const config = loadConfig();
  for (const name of unknownVariables()) warn(`Warning: ${name} is not a Heirloom setting (a typo?); it is ignored.`);
  return { config, log: createLogger(level ?? config.logLevel, level ? process.stderr : process.stdout) };
}

const program = new Command()
  .name('heirloom')
  .description('Heirloom: a family photo and video vault. Settings come from HEIRLOOM_* environment variables (see README).')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the web server (the default in the Docker image)')
  .action(async () => {
    const { config, log } = setup();
    const { startServer } = await import('./main.js');
    await startServer(config, log);
  });

program
  .command('import')
  .description('import a folder of photos and videos (recursively) for a user; safe to interrupt and rerun')
  .argument('<dir>', 'folder to import; symlinks inside it are not followed')
  .requiredOption('-u, --user <name>', 'who the photos belong to')
  .option('-j, --jobs <n>', 'files processed at once', positiveInt, os.availableParallelism())
  .action(async (dir: string, opts: { user: string; jobs: number }) => {
    const { config, log } = setup('warn');
    const { importCommand } = await import('./cli/import.command.js');
    process.exitCode = await importCommand(config, log, dir, opts);
  });

program
  .command('verify')
  .description('check every stored file and the database now, with a progress bar; exits 1 when anything is wrong')
  .option('--full', 'also decrypt every file and verify its contents (slower)')
  .action(async (opts: { full?: boolean }) => {
    const { config, log } = setup('warn');
    const { verifyCommand } = await import('./cli/verify.command.js');
    process.exitCode = await verifyCommand(config, log, opts);
  });

const user = program.command('user').description('manage accounts');
user
  .command('create')
  .description('create an account (asks for the password, or reads it from stdin)')
  .argument('<username>')
  .addOption(new Option('-r, --role <role>', 'what the account may do').choices(roles).default('member'))
  .option('-n, --display-name <name>', 'name shown in the app')
  .action(async (username: string, opts: { role: (typeof roles)[number]; displayName?: string }) => {
    const { config, log } = setup('warn');
    const { userCreateCommand } = await import('./cli/user.command.js');
    process.exitCode = await userCreateCommand(config, log, username, opts);
  });
user
  .command('reset-password')
  .description('set a new password (asks for it, or reads it from stdin) and sign the account out everywhere')
  .argument('<username>')
  .action(async (username: string) => {
    const { config, log } = setup('warn');
    const { userResetPasswordCommand } = await import('./cli/user.command.js');
    process.exitCode = await userResetPasswordCommand(config, log, username);
  });
user
  .command('disable')
  .description('disable an account: signs it out everywhere and stops its API tokens (the last admin cannot be disabled)')
  .argument('<username>')
  .action(async (username: string) => {
    const { config, log } = setup('warn');
    const { userDisableCommand } = await import('./cli/user.command.js');
    process.exitCode = await userDisableCommand(config, log, username);
  });
user
  .command('enable')
  .description('enable a disabled account again')
  .argument('<username>')
  .action(async (username: string) => {
    const { config, log } = setup('warn');
    const { userEnableCommand } = await import('./cli/user.command.js');
    process.exitCode = await userEnableCommand(config, log, username);
  });

const key = program.command('key').description('manage the master key');
key
  .command('generate')
  .description('write a new master key file (for HEIRLOOM_KEY_FILE or a Docker secret) and print its recovery code')
  .requiredOption('-o, --out <file>', 'where to write it; an existing file is never overwritten')
  .action(async (opts: { out: string }) => {
    const { keyGenerateCommand } = await import('./cli/key.command.js');
    process.exitCode = await keyGenerateCommand(opts.out);
  });

program
  .command('decrypt')
  .description('decrypt one blob file with only the key file (no database, no server)')
  .argument('<blob>', 'a file from blobs/ (or a replica)')
  .requiredOption('-k, --key <file>', 'the master key file')
  .option('-o, --out <file>', 'write here instead of stdout')
  .action(async (blob: string, opts: { key: string; out?: string }) => {
    const { decryptCommand } = await import('./cli/key.command.js');
    process.exitCode = await decryptCommand(blob, opts);
  });

program
  .command('healthcheck')
  .description('exit 0 when the local server answers /healthz (used by the Docker HEALTHCHECK)')
  .action(async () => {
    const { config } = setup('silent');
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!res?.ok) warn(`Heirloom is not answering at ${url}${res ? ` (HTTP ${res.status})` : ''}.`);
    process.exitCode = res?.ok ? 0 : 1;
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof UserError || err instanceof IntegrityError) {
    warn(`heirloom: ${err.message}`);
    process.exitCode = 2;
  } else {
    warn(`heirloom: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  }
}
