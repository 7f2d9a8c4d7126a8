import { z } from 'zod';
import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError, UserError } from '../errors.js';
import { placeFor } from '../places/geocoder.js';
import { writePlace } from '../places/places.repo.js';
import { findEditable, findVersion, insertVersion, latestVersionId, listVersions, writeFields, type EditableFields, type EditableItem, type VersionRow } from './organise.repo.js';
import { ItemTrashedError } from './organise.service.js';

const MINUTE = 60_000;
export const MAX_DESCRIPTION = 2000;
/** What an edit of the date records as the source of the time, replacing e.g. 'exif:DateTimeOriginal'. */
export const EDIT_SOURCE = 'edit';

/** Fields an edit form shows, as strings the way the form carries them. */
export interface EditFormValues {
  date: string;
  time: string;
  /** Minutes east of UTC, or '' for unknown (the time as the camera showed it). */
  tz: string;
  description: string;
  latitude: string;
  longitude: string;
  /** The newest version id when the form was rendered, to notice an edit made elsewhere meanwhile. */
  base: string;
}

const coordinate = (label: string, limit: number) =>
  z
    .string()
    .trim()
    .max(32)
    .transform((s, ctx) => {
      if (s === '') return null;
      const n = Number(s.replace(',', '.'));
      if (!Number.isFinite(n) || Math.abs(n) > limit) {
        ctx.addIssue({ code: 'custom', message: `${label} is a number from −${limit} to ${limit}, like ${limit === 90 ? '48.8584' : '2.2945'}.` });
        return z.NEVER;
      }
      return Math.round(n * 1e7) / 1e7;
    });

/** The edit form: the date and time on the wall clock where it was taken, its zone, description and location. */
export const editSchema = z
  .object({
    date: z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, 'Give the date as YYYY-MM-DD.'),
    time: z
      .string()
      .trim()
      .regex(/^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/, 'Give the time as HH:MM or HH:MM:SS.'),
    tz: z
      .string()
      .trim()
      .transform((s, ctx) => {
        if (s === '') return null;
        const n = Number(s);
        if (!Number.isInteger(n) || n < -12 * 60 || n > 14 * 60 || n % 15 !== 0) {
          ctx.addIssue({ code: 'custom', message: 'Pick a time zone from the list.' });
          return z.NEVER;
        }
        return n;
      }),
    description: z
      .string()
      .max(MAX_DESCRIPTION, `A description is at most ${MAX_DESCRIPTION} characters.`)
      .transform((s) => s.replace(/\r\n/g, '\n').trim() || null),
    latitude: coordinate('Latitude', 90),
    longitude: coordinate('Longitude', 180),
    base: z.string().trim().regex(/^\d{0,15}$/).transform((s) => (s === '' ? undefined : Number(s))),
  })
  .superRefine((v, ctx) => {
    if ((v.latitude === null) !== (v.longitude === null)) ctx.addIssue({ code: 'custom', message: 'Give both latitude and longitude, or leave both empty to remove the location.', path: ['latitude'] });
  })
  .transform((v, ctx) => {
    const [y, m, d] = v.date.split('-').map(Number) as [number, number, number];
    const [hh, mm, ss = '0'] = v.time.split(':') as [string, string, string?];
    const wall = Date.UTC(y, m - 1, d, Number(hh), Number(mm), 0) + Math.round(Number(ss) * 1000);
    const check = new Date(wall);
    if (y < 1800 || y > 2200 || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d || Number(hh) > 23 || Number(mm) > 59 || Number(ss) >= 60) {
      ctx.addIssue({ code: 'custom', message: 'That date or time does not exist.', path: ['date'] });
      return z.NEVER;
    }
    return { wallMs: wall, tz: v.tz, description: v.description, latitude: v.latitude, longitude: v.longitude, base: v.base };
  });

/** The item's current values as the form shows them. */
export function formValues(item: EditableFields, base: number): EditFormValues {
  const wall = new Date(item.takenAt + (item.tzOffsetMinutes ?? 0) * MINUTE).toISOString();
  return {
    date: wall.slice(0, 10),
    time: wall.slice(11, 19),
    tz: item.tzOffsetMinutes === null ? '' : String(item.tzOffsetMinutes),
    description: item.description ?? '',
    latitude: item.latitude === null ? '' : String(item.latitude),
    longitude: item.longitude === null ? '' : String(item.longitude),
    base: String(base),
  };
}

/** EXIF orientations as (mirrored, clockwise quarter turns), and back: turning adds a quarter. */
const ORIENTATIONS: Record<number, [boolean, number]> = { 1: [false, 0], 2: [true, 0], 3: [false, 2], 4: [true, 2], 5: [true, 3], 6: [false, 1], 7: [true, 1], 8: [false, 3] };

export function rotateOrientation(current: number | null, direction: 'cw' | 'ccw'): number {
  const [mirrored, turns] = ORIENTATIONS[current ?? 1] ?? [false, 0];
  const next = (turns + (direction === 'cw' ? 1 : 3)) % 4;
  return Number(Object.entries(ORIENTATIONS).find(([, [m, t]]) => m === mirrored && t === next)![0]);
}

export class EditConflictError extends UserError {
  constructor() {
    super('This photo was changed on another device while you were editing. These are its values now: check them and save again.', 'conflict');
  }
}

export interface ParsedVersion {
  id: number;
  editedAt: Date;
  editorName: string | null;
  previous: Partial<EditableFields>;
  next: Partial<EditableFields>;
}

const FIELD_KEYS = ['takenAt', 'tzOffsetMinutes', 'takenAtSource', 'description', 'latitude', 'longitude', 'orientation'] as const satisfies readonly (keyof EditableFields)[];

const num = z.number().finite();
/** The shape a version's JSON must have: only these fields, each of its column's type. */
const storedFields = z
  .object({
    takenAt: num,
    tzOffsetMinutes: num.int().nullable(),
    takenAtSource: z.string(),
    description: z.string().nullable(),
    latitude: num.nullable(),
    longitude: num.nullable(),
    orientation: num.int().min(1).max(8).nullable(),
  })
  .partial()
  .strip();

/** The known, well-typed fields of a stored version, so an odd row cannot write anything else. */
function fieldsOf(json: string): Partial<EditableFields> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return {};
  }
  const parsed = storedFields.safeParse(raw);
  return parsed.success ? parsed.data : {};
}

/**
 * Edits of what is known about an item (date and zone, description, location, orientation). Each edit
 * writes the new values and, in the same transaction, a version holding the values it replaced, so any
 * edit can be reverted, and a revert is itself an edit. The original file is never touched.
 */
export class EditsService {
  constructor(private readonly deps: { db: Db }) {}

  private load(actor: Actor | undefined, id: number, action: 'read-item' | 'change-item'): EditableItem & { actor: Actor } {
    authorize(actor, { do: 'browse' });
    const item = findEditable(this.deps.db, id);
    if (!item) throw new AccessError(404, 'There is no such item: it may have been deleted for good.');
    authorize(actor, { do: action, ownerId: item.ownerId });
    return { ...item, actor };
  }

  /** The item and its values for the edit form. */
  editForm(actor: Actor | undefined, id: number): { item: EditableItem; values: EditFormValues } {
    const item = this.load(actor, id, 'change-item');
    if (item.trashedAt) throw new ItemTrashedError();
    return { item, values: formValues(item, latestVersionId(this.deps.db, id)) };
  }

  /**
   * Applies the edit form. The date is taken as changed only when the form's reading differs from the
   * current one to the second, so saving a description does not drop the time's milliseconds.
   */
  edit(actor: Actor | undefined, id: number, form: Record<string, string>, now = new Date()): { versionId?: number } {
    const item = this.load(actor, id, 'change-item');
    if (item.trashedAt) throw new ItemTrashedError();
    const parsed = editSchema.safeParse(form);
    if (!parsed.success) throw new UserError(parsed.error.issues.map((i) => i.message).join(' '), 'invalid');
    const v = parsed.data;
    if (v.base !== undefined && v.base !== latestVersionId(this.deps.db, id)) throw new EditConflictError();

    const next: Partial<EditableFields> = {};
    const currentWall = item.takenAt + (item.tzOffsetMinutes ?? 0) * MINUTE;
    if (Math.floor(v.wallMs / 1000) !== Math.floor(currentWall / 1000) || v.tz !== item.tzOffsetMinutes) {
      next.takenAt = v.wallMs - (v.tz ?? 0) * MINUTE;
      next.tzOffsetMinutes = v.tz;
      next.takenAtSource = EDIT_SOURCE;
    }
    if (v.description !== item.description) next.description = v.description;
    if (v.latitude !== item.latitude || v.longitude !== item.longitude) {
      next.latitude = v.latitude;
      next.longitude = v.longitude;
    }
    return this.apply(item, next, now);
  }

  /** Turns the item a quarter: records the EXIF orientation only (how it should be shown); no pixels change. */
  rotate(actor: Actor | undefined, id: number, direction: 'cw' | 'ccw' | undefined, now = new Date()): { orientation: number; versionId?: number } {
    const item = this.load(actor, id, 'change-item');
    if (!direction) throw new UserError('Say direction=cw (clockwise) or direction=ccw (counter-clockwise).', 'invalid');
    if (item.trashedAt) throw new ItemTrashedError();
    const orientation = rotateOrientation(item.orientation, direction);
    return { orientation, ...this.apply(item, { orientation }, now) };
  }

  /** The item and its versions, newest first. */
  history(actor: Actor | undefined, id: number): { item: EditableItem; versions: ParsedVersion[] } {
    const item = this.load(actor, id, 'read-item');
    const versions = listVersions(this.deps.db, id).map((v: VersionRow) => ({
      id: v.id,
      editedAt: v.editedAt,
      editorName: v.editorName,
      previous: fieldsOf(v.previous),
      next: fieldsOf(v.next),
    }));
    return { item, versions };
  }

  /** Puts back the values a version replaced, as a new edit (so the revert can be reverted in turn). */
  revert(actor: Actor | undefined, id: number, versionId: number, now = new Date()): { versionId?: number } {
    const item = this.load(actor, id, 'change-item');
    const version = findVersion(this.deps.db, id, versionId);
    if (!version) throw new AccessError(404, 'There is no such version of this item.');
    if (item.trashedAt) throw new ItemTrashedError();
    return this.apply(item, fieldsOf(version.previous), now);
  }

  /** Writes the fields that differ from the item's and records their previous values, in one transaction. */
  private apply(item: EditableItem & { actor: Actor }, wanted: Partial<EditableFields>, now: Date): { versionId?: number } {
    const previous: Partial<EditableFields> = {};
    const next: Partial<EditableFields> = {};
    for (const key of FIELD_KEYS) {
      if (!(key in wanted)) continue;
      const value = wanted[key];
      if (value === item[key]) continue;
      (previous as Record<string, unknown>)[key] = item[key];
      (next as Record<string, unknown>)[key] = value;
    }
    // A date change keeps its zone and source together, so reverting it restores all three.
    if ('takenAt' in next || 'tzOffsetMinutes' in next) {
      for (const key of ['takenAt', 'tzOffsetMinutes', 'takenAtSource'] as const) {
        if (key in wanted && !(key in next)) {
          (previous as Record<string, unknown>)[key] = item[key];
          (next as Record<string, unknown>)[key] = wanted[key];
        }
      }
    }
    if (Object.keys(next).length === 0) return {};
    // The place follows the location; derived from it, it needs no version of its own.
    const { latitude, longitude } = { latitude: item.latitude, longitude: item.longitude, ...next };
    const place = 'latitude' in next || 'longitude' in next ? placeFor(latitude, longitude) : undefined;
    const versionId = this.deps.db.transaction((tx) => {
      writeFields(tx, item.id, next);
      if (place !== undefined) writePlace(tx, item.id, place);
      return insertVersion(tx, { assetId: item.id, editedBy: item.actor.user.id, editedAt: now, previous, next });
    });
    return { versionId };
  }
}
