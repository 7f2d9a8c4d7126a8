import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/main.js';
import { Keyring } from '../server/vault/keyring.js';
import { makeFixtureDir, removeFixtureDir } from './fixtures/index.js';
import { freePort } from './helpers/server.js';

let dir: string;
let cert: string;
let stop: () => Promise<void>;
let port: number;

/** GET over HTTPS trusting only our self-signed certificate. */
function get(pathname: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, ca: cert, headers: { accept: 'text/html' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-https-');
  const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  cert = await readFile(certFile, 'utf8');
  port = await freePort();
  const masterKey = path.join(dir, 'master.key');
  await Keyring.generate().save(masterKey);
  const config = loadConfig({
    HEIRLOOM_DATA_DIR: path.join(dir, 'data'),
    HEIRLOOM_KEY_FILE: masterKey,
    HEIRLOOM_HOST: '127.0.0.1',
    HEIRLOOM_PORT: String(port),
    HEIRLOOM_TLS_CERT_FILE: certFile,
    HEIRLOOM_TLS_KEY_FILE: keyFile,
  });
  ({ stop } = await startServer(config, createLogger('silent')));
});

afterAll(async () => {
  await stop?.();
  await removeFixtureDir(dir);
});

describe('built-in HTTPS', () => {
  it('serves pages over TLS with Secure, __Host- prefixed cookies', async () => {
    const res = await get('/setup');
    expect(res.status).toBe(200);
    const cookies = res.headers['set-cookie'] as string[];
    expect(cookies.some((c) => c.startsWith('__Host-heirloom_csrf=') && /;\s*Secure/i.test(c) && /Path=\//.test(c))).toBe(true);
  });

  it('refuses half a TLS configuration, naming what is missing, without echoing the key', () => {
    expect(() => loadConfig({ HEIRLOOM_TLS_CERT: cert })).toThrow(/needs both HEIRLOOM_TLS_CERT_FILE and HEIRLOOM_TLS_KEY_FILE/);
    const bad = () => loadConfig({ HEIRLOOM_TLS_CERT: cert, HEIRLOOM_TLS_KEY: 'secret-not-a-pem' });
    expect(bad).toThrow(/HEIRLOOM_TLS_KEY must be a PEM private key/);
    expect(bad).not.toThrow(/secret-not-a-pem/);
  });
});
