import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../server/db/client.js';
import { blobs } from '../../server/vault/blobs.table.js';
import { assets } from '../../server/library/assets.table.js';

/**
 * What "nothing half-stored" means, checked from the outside: every blob row has its complete file
 * (size and ciphertext hash), every file under blobs/ has its row, every asset's blobs exist.
 */
export async function vaultProblems(dataDir: string, db: Db): Promise<string[]> {
  const problems: string[] = [];
  const rows = db.select().from(blobs).all();
  const files = new Set<string>();
  const blobsDir = path.join(dataDir, 'blobs');
  for (const a of await readdir(blobsDir)) {
    for (const b of await readdir(path.join(blobsDir, a))) {
      for (const f of await readdir(path.join(blobsDir, a, b))) files.add(f);
    }
  }
  for (const row of rows) {
    if (!files.delete(row.id)) {
      problems.push(`row ${row.id} (${row.kind}) has no file`);
      continue;
    }
    const bytes = await readFile(path.join(blobsDir, row.id.slice(0, 2), row.id.slice(2, 4), row.id));
    if (bytes.length !== row.cipherSize) problems.push(`blob ${row.id} is ${bytes.length} bytes, row says ${row.cipherSize}`);
    else if (createHash('sha256').update(bytes).digest('hex') !== row.cipherSha256) problems.push(`blob ${row.id} does not match its checksum`);
  }
  for (const f of files) problems.push(`file ${f} has no row`);
  const ids = new Set(rows.map((r) => r.id));
  for (const a of db.select().from(assets).all()) {
    for (const id of [a.originalBlobId, a.thumbBlobId, a.previewBlobId]) {
      if (id && !ids.has(id)) problems.push(`asset ${a.id} points to missing blob ${id}`);
    }
  }
  return problems;
}
