import type { JobHandler } from '../jobs/handler.js';
import type { PlacesService } from './places.service.js';

/** The 'places' job: names where items were taken that have a location but no place yet. */
export function placesJob(places: PlacesService): JobHandler {
  return {
    concurrency: 1,
    run: ({ signal, progress }) => places.backfill({ signal, progress }),
  };
}
