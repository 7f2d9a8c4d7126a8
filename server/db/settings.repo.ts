import { eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { preparedPerDb } from './prepared.js';
import { settings } from './settings.table.js';

const settingByKey = preparedPerDb((db) => db.select().from(settings).where(eq(settings.key, sql.placeholder('key'))).prepare());

export function getSetting(db: Db, key: string): string | undefined {
  return settingByKey(db).get({ key })?.value;
}

export function putSetting(db: Db, key: string, value: string): void {
  db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value } }).run();
}
