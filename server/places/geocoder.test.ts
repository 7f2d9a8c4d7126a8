import { describe, expect, it } from 'vitest';
import { placeAt, placeFor } from './geocoder.js';

describe('placeAt', () => {
  it('names the town a location lies in, not a nearer suburb or a part of the town', () => {
    expect(placeAt(48.8584, 2.2945)).toBe('Paris, France'); // the Eiffel Tower; Neuilly-sur-Seine's centre is nearer than Paris's
    expect(placeAt(48.8846, 2.2697)).toBe('Neuilly-sur-Seine, France');
    expect(placeAt(38.7107, -9.1366)).toBe('Lisbon, Portugal'); // in Baixa, a part of Lisbon
    expect(placeAt(40.758, -73.9855)).toBe('New York City, United States of America'); // Times Square
    expect(placeAt(59.9139, 10.7522)).toBe('Oslo, Norway');
  });

  it('says the town once where town and country share a name', () => {
    expect(placeAt(1.2868, 103.8545)).toBe('Singapore');
  });

  it('names only the country far from any town, and nothing out at sea', () => {
    expect(placeAt(68.5, 10)).toBe('Norway'); // the Norwegian Sea off Lofoten, more than 50 km from a town of 1,000
    expect(placeAt(30, -40)).toBe(''); // the middle of the Atlantic
    expect(placeAt(0, -140)).toBe('');
  });

  it('is NULL for the column without a location', () => {
    expect(placeFor(null, null)).toBeNull();
    expect(placeFor(48.8584, 2.2945)).toBe('Paris, France');
  });
});
