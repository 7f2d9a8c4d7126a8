import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { packageRoot } from '../../server/paths.js';

/** Debian's Chromium, headless, with the flags that keep it off the network. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where browser tests leave screenshots for a reviewer. */
export async function artifactPath(name: string): Promise<string> {
  const dir = path.join(packageRoot, 'test-artifacts');
  await mkdir(dir, { recursive: true });
  return path.join(dir, name);
}
