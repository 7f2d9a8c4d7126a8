import { createRequire } from 'node:module';
import { around, distance } from 'geokdbush';
import { loadCities, type Cities } from './cities.js';

type CountryCoder = typeof import('@rapideditor/country-coder');

/** How far from a town a location may be and still be named after it; beyond, only the country is. */
export const TOWN_RADIUS_KM = 50;
/** A town's reach grows with the square root of its people: Paris's is about 9 km, a village's 2 km. */
const REACH_KM_PER_ROOT_PERSON = 0.006;
const MIN_REACH_KM = 2;

interface Geodata {
  cities: Cities;
  countries: CountryCoder;
  /** The largest town's reach, which bounds how far a better candidate can be. */
  maxReachKm: number;
}

let loaded: Geodata | undefined;

function reachKm(population: number): number {
  return Math.max(MIN_REACH_KM, REACH_KM_PER_ROOT_PERSON * Math.sqrt(population));
}

/** The towns and the country borders, read on first use and kept for the life of the process. */
function geodata(): Geodata {
  if (!loaded) {
    const cities = loadCities();
    // Loaded only when a place is first named: reading its borders takes most of a second.
    const countries = createRequire(import.meta.url)('@rapideditor/country-coder') as CountryCoder;
    loaded = { cities, countries, maxReachKm: reachKm(cities.population.reduce((a, b) => Math.max(a, b), 0)) };
  }
  return loaded;
}

/**
 * The place at a location, offline, as "Town, Country" in English: among towns within 50 km, the one the
 * location lies deepest within (distance over reach), so a photo by the Eiffel Tower is in Paris, not the
 * nearer Neuilly-sur-Seine. With no town that close, the country (its coastal waters roughly included);
 * out at sea, ''. The first call loads the data (see cities.ts).
 */
export function placeAt(latitude: number, longitude: number): string {
  const { cities, countries, maxReachKm } = geodata();
  let best = -1;
  let bestScore = Infinity;
  for (const i of around(cities.index, longitude, latitude, Infinity, TOWN_RADIUS_KM, (i) => cities.isTown[i] === 1)) {
    const km = distance(longitude, latitude, cities.longitude[i]!, cities.latitude[i]!);
    // Nearest first: once even the largest reach could not beat the best score, no farther town can.
    if (km / maxReachKm >= bestScore) break;
    const score = km / reachKm(cities.population[i]!);
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  if (best < 0) return countries.feature([longitude, latitude], { level: 'country' })?.properties.nameEn ?? '';
  const town = cities.name(best);
  const country = countries.feature(cities.country(best))?.properties.nameEn;
  return !country || country === town ? town : `${town}, ${country}`;
}

/** The place column's value for a location: NULL without one, '' where nothing is named. */
export function placeFor(latitude: number | null, longitude: number | null): string | null {
  return latitude === null || longitude === null ? null : placeAt(latitude, longitude);
}
