import { hash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id at 19 MiB, t=2, p=1 and verifies', async () => {
    const stored = await hashPassword('a long enough password');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'a long enough password')).toBe(true);
    expect(await verifyPassword(stored, 'another password')).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('asks for a rehash of hashes made with other parameters', async () => {
    const weak = await hash('a long enough password', { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    expect(needsRehash(weak)).toBe(true);
    expect(await verifyPassword(weak, 'a long enough password')).toBe(true);
  });

  it('answers false, not an error, for a missing user or an absurdly long password', async () => {
    expect(await verifyPassword(undefined, 'whatever password')).toBe(false);
    expect(await verifyPassword(await hashPassword('a long enough password'), 'x'.repeat(100_000))).toBe(false);
  });

  it('caps concurrent hashing: a burst beyond the queue is refused as busy, the rest completes', async () => {
    const stored = await hashPassword('a long enough password');
    const results = await Promise.allSettled(Array.from({ length: 80 }, () => verifyPassword(stored, 'a long enough password')));
    const busy = results.filter((r) => r.status === 'rejected');
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(UserError);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true).length).toBe(80 - busy.length);
  });
});
