import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleScratch, sourcePath, withScratch } from './scratch.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('withScratch', () => {
  it('creates nothing unless asked', async () => {
    const before = await readdir(tmpdir());
    await withScratch(async () => undefined);
    expect((await readdir(tmpdir())).filter((n) => !before.includes(n) && n.startsWith(`heirloom-media-${process.pid}-`))).toEqual([]);
  });

  it('writes a buffer source to a private file and removes it, even when the work fails', async () => {
    let file = '';
    await expect(
      withScratch(async (scratch) => {
        file = await sourcePath({ buffer: Buffer.from('plaintext') }, scratch, 'jpg');
        expect(((await stat(path.dirname(file))).mode & 0o777).toString(8)).toBe('700');
        throw new Error('decoder crashed');
      }),
    ).rejects.toThrow('decoder crashed');
    expect(file).toMatch(/source\.jpg$/);
    expect(await exists(path.dirname(file))).toBe(false);
  });

  it('hands a path source over as it is', async () => {
    expect(await withScratch((scratch) => sourcePath({ path: '/photos/a.jpg' }, scratch, 'jpg'))).toBe('/photos/a.jpg');
  });
});

describe('removeStaleScratch', () => {
  it('removes what dead processes left and keeps what live ones use', async () => {
    const deadPid = spawnSync('true').pid!;
    const stale = path.join(tmpdir(), `heirloom-media-${deadPid}-test`);
    const live = path.join(tmpdir(), `heirloom-media-${process.pid}-test`);
    for (const dir of [stale, live]) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'source.jpg'), 'plaintext');
    }
    try {
      await removeStaleScratch();
      expect(await exists(stale)).toBe(false);
      expect(await exists(live)).toBe(true);
    } finally {
      await rm(live, { recursive: true, force: true });
    }
  });
});
