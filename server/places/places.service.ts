import { setImmediate } from 'node:timers/promises';
import type { Db } from '../db/client.js';
import type { JobProgress } from '../jobs/handler.js';
import { placeAt } from './geocoder.js';
import { countUnplaced, findUnplaced, unplacedAfter, writePlace } from './places.repo.js';

export const PLACES_JOB = 'places';
/** Small enough that the server answers requests between batches (about 1 ms an item). */
const BATCH = 100;

/**
 * Names where items were taken (asset_metadata.place, which search matches) from their location, offline.
 * The 'places' job names every item with a location and no place yet: new ones (queued as they are stored,
 * so loading the town list never holds up an upload) and those stored before places existed. An edit of
 * the location names the place anew (see EditsService).
 */
export class PlacesService {
  constructor(private readonly deps: { db: Db }) {}

  /** Whether a just-stored item has a location still to be named. */
  unnamed(assetId: number): boolean {
    return findUnplaced(this.deps.db, assetId) !== undefined;
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
