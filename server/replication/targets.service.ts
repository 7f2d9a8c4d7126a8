import { eq } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import type { Keyring } from '../vault/keyring.js';
import { openRemote, type TargetCredentials } from './open-remote.js';
import type { Remote } from './remote.js';
import { replicationTargets, type ReplicationTarget } from './replication.table.js';
import { displayUrl, parseTargetUrl } from './target-url.js';

export const targetOptionsSchema = z.object({
  endpoint: z.string().url().optional(),
  region: z.string().min(1).optional(),
  pathStyle: z.boolean().optional(),
  /** Thumbnails and previews can be regenerated from originals; leaving them out saves space off-site. */
  includePreviews: z.boolean().default(true),
  /** Upload rate cap in bytes per second; 0 = none. */
  bytesPerSecond: z.number().int().min(0).default(0),
});
export type TargetOptions = z.infer<typeof targetOptionsSchema>;


const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'A target name is 1 to 64 letters, digits, dots, dashes or underscores.');
const purpose = (name: string) => `target:${name}`;

/** Adding, testing, pausing and removing targets, and opening a connection to one. */
export class TargetService {
  constructor(private readonly deps: { db: Db; keyring: Keyring }) {}

  list(): ReplicationTarget[] {
    return this.deps.db.select().from(replicationTargets).orderBy(replicationTargets.name).all();
  }

  get(name: string): ReplicationTarget {
    const target = this.deps.db.select().from(replicationTargets).where(eq(replicationTargets.name, name)).get();
    if (!target) throw new UserError(`There is no target named ${name}. See: heirloom target list`, 'no-such-target');
    return target;
  }

  /** Checks the URL and credentials, connects once (pinning an SFTP host key), then stores the target. */
  async add(input: { name: string; url: string; options?: Partial<TargetOptions>; credentials?: TargetCredentials }): Promise<ReplicationTarget> {
    const name = nameSchema.safeParse(input.name);
    if (!name.success) throw new UserError(name.error.issues[0]!.message, 'invalid-name');
    if (this.deps.db.select().from(replicationTargets).where(eq(replicationTargets.name, name.data)).get()) {
      throw new UserError(`There is already a target named ${name.data}.`, 'target-exists');
    }
    const options = targetOptionsSchema.safeParse(input.options ?? {});
    if (!options.success) throw new UserError(`Target options: ${options.error.issues[0]!.message}`, 'invalid-options');
    const location = parseTargetUrl(input.url);
    const credentials: TargetCredentials = { ...input.credentials };
    if (location.kind === 'sftp' && location.password) credentials.password ??= location.password;
    if (location.kind === 's3' && !(credentials.accessKeyId && credentials.secretAccessKey)) {
      throw new UserError('An S3 target needs an access key id and secret (flags, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or their _FILE variants).', 'target-credentials');
    }
    if (location.kind === 'sftp' && !credentials.password && !credentials.privateKey) {
      throw new UserError('An SFTP target needs a password or a private key file.', 'target-credentials');
    }
    const draft: ReplicationTarget = {
      id: 0,
      name: name.data,
      kind: location.kind,
      url: displayUrl(location),
      options: JSON.stringify(options.data),
      credentials: Object.keys(credentials).length ? this.deps.keyring.sealSecret(JSON.stringify(credentials), purpose(name.data)) : null,
      hostKey: null,
      paused: false,
      lastSnapshotSha256: null,
      lastSuccessAt: null,
      lastVerifiedAt: null,
      lastError: null,
      lastErrorAt: null,
      createdAt: new Date(),
    };
    const remote = await this.connect(draft, (key) => (draft.hostKey = key));
    await remote.close();
    const { id: _draftId, ...row } = draft;
    return this.deps.db.insert(replicationTargets).values(row).returning().get();
  }

  /** Writes, reads back and deletes a probe object; returns what it measured. */
  async test(name: string): Promise<{ roundTripMs: number }> {
    const target = this.get(name);
    const started = Date.now();
    const remote = await this.connect(target);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-probe-'));
    try {
      const probe = randomBytes(16).toString('hex');
      const file = path.join(dir, 'probe');
      await writeFile(file, probe);
      // At the top level: a probe directory would be left behind, empty, at a directory or SFTP target.
      const key = `heirloom-probe-${probe}`;
      await remote.put(key, file, probe.length);
      const back = await text(await remote.get(key));
      await remote.delete(key);
      if (back !== probe) throw new UserError(`The target ${name} returned different bytes than were written.`, 'target-corrupt');
      return { roundTripMs: Date.now() - started };
    } finally {
      await remote.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  setPaused(name: string, paused: boolean): void {
    this.get(name);
    this.deps.db.update(replicationTargets).set({ paused }).where(eq(replicationTargets.name, name)).run();
  }

  /** Forgets a target and its ledger. What it holds stays there: removing a target never deletes copies. */
  remove(name: string): void {
    this.get(name);
    this.deps.db.delete(replicationTargets).where(eq(replicationTargets.name, name)).run();
  }

  options(target: ReplicationTarget): TargetOptions {
    return targetOptionsSchema.parse(JSON.parse(target.options));
  }

  /** Opens a connection. A new SFTP host key is handed to `pin` (the first connection pins it). */
  async connect(target: ReplicationTarget, pin?: (hostKey: string) => void): Promise<Remote> {
    const creds = target.credentials ? (JSON.parse(this.deps.keyring.openSecret(target.credentials, purpose(target.name))) as TargetCredentials) : {};
    const { endpoint, region, pathStyle } = this.options(target);
    return openRemote(parseTargetUrl(target.url), creds, { endpoint, region, pathStyle }, {
      pinned: target.hostKey ?? undefined,
      onNew: (key) => {
        if (pin) pin(key);
        else this.deps.db.update(replicationTargets).set({ hostKey: key }).where(eq(replicationTargets.id, target.id)).run();
      },
    });
  }
}
