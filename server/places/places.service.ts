import { setImmediate } from 'node:timers/promises';
import type { Db } from '../db/client.js';
import type { JobProgress } from '../jobs/handler.js';
import type { Logger } from '../log.js';
import { placeAt } from './geocoder.js';
import { countUnplaced, findUnplaced, unplacedAfter, writePlace } from './places.repo.js';

export const PLACES_JOB = 'places';
/** Small enough that the server answers requests between batches (about 1 ms an item). */
const BATCH = 100;

/**
 * Names where items were taken (asset_metadata.place, which search matches) from their location, offline.
 * A new item is named right after it is stored; the 'places' job names any left unnamed, such as items
 * stored before places existed. An edit of the location names the place anew (see EditsService).
 */
export class PlacesService {
  constructor(private readonly deps: { db: Db; log: Logger }) {}

  /** Names a just-stored item's place. Never throws: one it could not name waits for the 'places' job at the next start. */
  stored(assetId: number): void {
    try {
      const item = findUnplaced(this.deps.db, assetId);
      if (item) writePlace(this.deps.db, assetId, placeAt(item.latitude, item.longitude));
    } catch (err) {
      this.deps.log.warn({ err, assetId }, 'could not name where a new item was taken; the places job at the next start will');
    }
  }

  waiting(): boolean {
    return countUnplaced(this.deps.db) > 0;
  }

  /** Names every item with a location whose place is not named yet. */
  async backfill({ signal, progress }: { signal: AbortSignal; progress(p: JobProgress): void }): Promise<void> {
    const total = countUnplaced(this.deps.db);
    let done = 0;
    let afterId = 0;
    for (;;) {
      signal.throwIfAborted();
      const batch = unplacedAfter(this.deps.db, afterId, BATCH);
      if (batch.length === 0) break;
      const named = batch.map((item) => ({ assetId: item.assetId, place: placeAt(item.latitude, item.longitude) }));
      this.deps.db.transaction((tx) => {
        for (const { assetId, place } of named) writePlace(tx, assetId, place);
      });
      done += batch.length;
      afterId = batch.at(-1)!.assetId;
      progress({ done, total, unit: 'items' });
      await setImmediate();
    }
  }
}
