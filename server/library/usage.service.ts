import type { Actor } from '../auth/actor.js';
import { authorize } from '../auth/access.js';
import type { Db } from '../db/client.js';
import { listUsers } from '../users/users.repo.js';
import type { User } from '../users/users.table.js';
import { assetKinds, type AssetKind } from './assets.table.js';
import { diskSpace, type DiskSpace } from './disk-space.js';
import { usageByOwnerAndKind, type KindUsageRow } from './usage.repo.js';

export interface Amount {
  items: number;
  bytes: number;
}

/**
 * What someone stores, photos and videos counted apart. Bytes of a kind are its originals; a Live Photo is
 * one photo item, but its separate MOV counts as video bytes. Trashed items count until they are purged.
 */
export type Usage = Record<AssetKind, Amount> & {
  /** Thumbnails, previews and web copies of videos: made from the originals, and made again if lost. */
  derivedBytes: number;
  /** The part of the amounts above that is in the trash, freed when it is deleted for good. */
  trashed: Amount;
  /** Originals and derived files together. */
  totalBytes: number;
};

export interface PersonUsage {
  user: User;
  usage: Usage;
}

export interface ServerUsage {
  people: PersonUsage[];
  total: Usage;
  /** The data disk; undefined when the system would not say. */
  disk: DiskSpace | undefined;
}

export class UsageService {
  constructor(private readonly deps: { db: Db; dataDir: string }) {}

  /** The actor's own storage. */
  own(actor: Actor | undefined): Usage {
    authorize(actor, { do: 'read-own-account' });
    return sumUsage(usageByOwnerAndKind(this.deps.db, actor.user.id));
  }

  /** Everyone's storage, the totals and the data disk's free space: for the admin only. */
  async everyone(actor: Actor | undefined): Promise<ServerUsage> {
    authorize(actor, { do: 'administer' });
    const rows = usageByOwnerAndKind(this.deps.db);
    return {
      people: listUsers(this.deps.db).map((user) => ({ user, usage: sumUsage(rows.filter((r) => r.ownerId === user.id)) })),
      total: sumUsage(rows),
      disk: await diskSpace(this.deps.dataDir),
    };
  }
}

function sumUsage(rows: KindUsageRow[]): Usage {
  const amount = (): Amount => ({ items: 0, bytes: 0 });
  const usage: Usage = { photo: amount(), video: amount(), other: amount(), derivedBytes: 0, trashed: amount(), totalBytes: 0 };
  for (const r of rows) {
    usage[r.kind].items += r.items;
    usage[r.kind].bytes += r.originalBytes;
    usage.video.bytes += r.motionBytes;
    usage.derivedBytes += r.derivedBytes;
    usage.trashed.items += r.trashedItems;
    usage.trashed.bytes += r.trashedBytes;
  }
  usage.totalBytes = assetKinds.reduce((sum, kind) => sum + usage[kind].bytes, usage.derivedBytes);
  return usage;
}
