#!/usr/bin/env node
import './drizzle-resolve.js';
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
  .option('-j, --jobs <n>', `files processed at once (default: one per CPU core, ${os.availableParallelism()} here)`, positiveInt)
  .action(async (dir: string, opts: { user: string; jobs?: number }) => {
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
  .option('--revoke-tokens', "also revoke the account's API tokens (its devices must then be set up again)")
  .action(async (username: string, opts: { revokeTokens?: boolean }) => {
    const { config, log } = setup('warn');
    const { userResetPasswordCommand } = await import('./cli/user.command.js');
    process.exitCode = await userResetPasswordCommand(config, log, username, opts);
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

const targetOptions = (cmd: Command) =>
  cmd
    .option('--access-key-id <id>', 'S3 access key id (default: AWS_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID_FILE)')
    .option('--secret-access-key <secret>', 'S3 secret (default: AWS_SECRET_ACCESS_KEY or AWS_SECRET_ACCESS_KEY_FILE)')
    .option('--endpoint <url>', 'S3 endpoint for a non-AWS provider, e.g. https://s3.us-west-004.backblazeb2.com')
    .option('--region <region>', 'S3 region')
    .option('--path-style', 'S3 path-style addressing (MinIO, Garage); the default when --endpoint is given')
    .option('--password <password>', 'SFTP password (default: HEIRLOOM_SFTP_PASSWORD or HEIRLOOM_SFTP_PASSWORD_FILE)')
    .option('-i, --identity <file>', 'SFTP private key file');

const target = program.command('target').description('off-site copies: a directory, sftp://user@host/path or s3://bucket/prefix');
targetOptions(target.command('add').description('add a target (connects once to check it; credentials are stored encrypted)'))
  .argument('<name>')
  .argument('<url>', 'an absolute path, sftp://user@host[:port]/path or s3://bucket[/prefix]')
  .option('--no-previews', 'send originals only (thumbnails and previews can be regenerated)')
  .option('--bwlimit <bytes>', 'upload at most this many bytes per second', positiveInt)
  .action(async (name: string, url: string, opts: import('./cli/target.command.js').TargetAddFlags) => {
    const { config, log } = setup('warn');
    const { targetAddCommand } = await import('./cli/target.command.js');
    process.exitCode = await targetAddCommand(config, log, name, url, opts);
  });
target
  .command('list')
  .description('every target, with what is not yet verified there and the last error')
  .action(async () => {
    const { config, log } = setup('warn');
    const { targetListCommand } = await import('./cli/target.command.js');
    process.exitCode = await targetListCommand(config, log);
  });
target
  .command('test')
  .description('write, read back and delete a probe object')
  .argument('<name>')
  .action(async (name: string) => {
    const { config, log } = setup('warn');
    const { targetTestCommand } = await import('./cli/target.command.js');
    process.exitCode = await targetTestCommand(config, log, name);
  });
for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
  target
    .command(verb)
    .description(paused ? 'stop sending to a target until it is resumed' : 'send to a paused target again')
    .argument('<name>')
    .action(async (name: string) => {
      const { config, log } = setup('warn');
      const { targetPauseCommand } = await import('./cli/target.command.js');
      process.exitCode = await targetPauseCommand(config, log, name, paused);
    });
}
target
  .command('remove')
  .description('forget a target (its copies are left where they are)')
  .argument('<name>')
  .action(async (name: string) => {
    const { config, log } = setup('warn');
    const { targetRemoveCommand } = await import('./cli/target.command.js');
    process.exitCode = await targetRemoveCommand(config, log, name);
  });

program
  .command('replicate')
  .description('send everything new to the targets now, with a progress bar; exits 1 if any target failed')
  .option('-t, --target <name>', 'only this target')
  .action(async (opts: { target?: string }) => {
    const { config, log } = setup('warn');
    const { replicateCommand } = await import('./cli/replicate.command.js');
    process.exitCode = await replicateCommand(config, log, opts);
  });

targetOptions(program.command('restore').description('rebuild a data directory on a new machine from one target and the key file'))
  .requiredOption('--from <url>', 'the target: an absolute path, sftp://… or s3://…')
  .requiredOption('-k, --key <file>', 'the master key file')
  .requiredOption('--data-dir <dir>', 'an empty directory (or one an interrupted restore left)')
  .action(async (opts: Parameters<typeof import('./cli/restore.command.js').restoreCommand>[1]) => {
    const { log } = setup('warn');
    const { restoreCommand } = await import('./cli/restore.command.js');
    process.exitCode = await restoreCommand(log, opts);
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
