import { z } from 'zod';
import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { memoriesOn, type MemoryYear } from './memories.js';
import { libraryVersion, ownCameras, searchItems, type SearchHit } from './search.repo.js';

/** Most results one search shows; the page says when there are more and asks for a narrower search. */
export const SEARCH_LIMIT = 200;
const MAX_TERMS = 12;
const DAY = 86_400_000;

/** The search form as the query string carries it. Anything malformed is dropped with a note, never an error page. */
export interface SearchQuery {
  q: string;
  from: string;
  to: string;
  kind: '' | 'photo' | 'video';
  favorite: boolean;
  camera: string;
}

const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s));

export function parseSearchQuery(params: Record<string, string | undefined>): { query: SearchQuery; problems: string[] } {
  const problems: string[] = [];
  const text = (name: string, max: number) => (params[name] ?? '').slice(0, max).trim();
  const date = (name: 'from' | 'to', label: string) => {
    const value = text(name, 10);
    if (value === '') return '';
    if (dateSchema.safeParse(value).success) return value;
    problems.push(`The ${label} date was left out: give it as YYYY-MM-DD.`);
    return '';
  };
  const kind = text('kind', 10);
  const query: SearchQuery = {
    q: text('q', 200),
    from: date('from', 'from'),
    to: date('to', 'to'),
    kind: kind === 'photo' || kind === 'video' ? kind : '',
    favorite: params.favorite === '1' || params.favorite === 'on',
    camera: text('camera', 200),
  };
  if (query.from && query.to && query.from > query.to) problems.push('The from date is after the to date, so nothing can match.');
  return { query, problems };
}

/**
 * The user's words as a safe FTS5 expression: every token becomes a quoted prefix term ("word"*), with
 * double quotes doubled inside, so operators, brackets, stars, colons and quotes the user types are
 * just text. Tokens without a letter or digit are dropped (they would match nothing). Terms are ANDed.
 */
export function toMatchExpression(text: string): string | undefined {
  const terms = text
    .normalize('NFKC')
    .split(/\s+/u)
    .filter((t) => /[\p{L}\p{N}]/u.test(t))
    .slice(0, MAX_TERMS)
    .map((t) => `"${t.replaceAll('"', '""')}"*`);
  return terms.length ? terms.join(' ') : undefined;
}

export function isEmptyQuery(q: SearchQuery): boolean {
  return !q.q && !q.from && !q.to && !q.kind && !q.favorite && !q.camera;
}

export interface SearchResult {
  hits: SearchHit[];
  more: boolean;
  /** False for a blank form: the page then shows the filters only. */
  searched: boolean;
}

/** How long a camera list is trusted without checking: new cameras arrive only with new items. */
const CAMERA_CACHE_MS = 10 * 60_000;

export class SearchService {
  /**
   * The camera list reads every item of the owner (0.1–0.4 s at 100k items, measured), so it is kept per
   * owner and rebuilt when their item count or newest id changes (a cheap index-only count), or after 10 min.
   */
  private readonly cameraCache = new Map<number, { key: string; at: number; cameras: string[] }>();

  constructor(private readonly deps: { db: Db }) {}

  /** The actor's own items matching the query; an empty query searches nothing. */
  search(actor: Actor | undefined, query: SearchQuery): SearchResult {
    authorize(actor, { do: 'browse' });
    const match = toMatchExpression(query.q);
    // Words that hold nothing searchable (only punctuation) and no filter: show the form, not everything.
    if (isEmptyQuery(query) || (!match && isEmptyQuery({ ...query, q: '' }))) return { hits: [], more: false, searched: false };
    const rows = searchItems(this.deps.db, {
      ownerId: actor.user.id,
      match,
      fromMs: query.from ? Date.parse(`${query.from}T00:00:00Z`) : undefined,
      toMs: query.to ? Date.parse(`${query.to}T00:00:00Z`) + DAY : undefined,
      kind: query.kind || undefined,
      favorite: query.favorite,
      camera: query.camera || undefined,
      limit: SEARCH_LIMIT + 1,
    });
    return { hits: rows.slice(0, SEARCH_LIMIT), more: rows.length > SEARCH_LIMIT, searched: true };
  }

  /** The cameras of the actor's own library, for the camera filter. */
  cameras(actor: Actor | undefined): string[] {
    authorize(actor, { do: 'browse' });
    const ownerId = actor.user.id;
    const key = libraryVersion(this.deps.db, ownerId);
    const cached = this.cameraCache.get(ownerId);
    if (cached && cached.key === key && Date.now() - cached.at < CAMERA_CACHE_MS) return cached.cameras;
    const cameras = ownCameras(this.deps.db, ownerId);
    this.cameraCache.set(ownerId, { key, at: Date.now(), cameras });
    return cameras;
  }

  /** "On this day": the actor's photos from today's date in earlier years. */
  memories(actor: Actor | undefined, now = new Date()): MemoryYear[] {
    authorize(actor, { do: 'browse' });
    return memoriesOn(this.deps.db, actor.user.id, now);
  }
}
