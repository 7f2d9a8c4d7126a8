import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // sharp, ffmpeg and the crypto pool already use both cores; more workers only thrash.
    maxWorkers: 2,
  },
});
