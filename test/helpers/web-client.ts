import { currentTotp } from '../../server/auth/totp.js';

/**
 * A browser-like HTTP client for the real server: a cookie jar, manual redirects, and the CSRF token
 * taken from the last HTML page it loaded (as a form would carry it).
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    readonly base: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string>; body?: BodyInit } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...this.extraHeaders, ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body = init.body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(new URL(path, this.base), { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
      const html = await res.clone().text();
      const token = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
      if (token) this.csrf = token;
    }
    return res;
  }

  get(path: string, headers?: Record<string, string>): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form with the current CSRF token (unless the form brings its own _csrf). */
  post(path: string, form: Record<string, string> = {}, headers?: Record<string, string>): Promise<Response> {
    return this.request(path, { form: { _csrf: this.csrf, ...form }, headers });
  }

  /** Loads the sign-in page (for its token), signs in, and answers the second step when a TOTP secret is given. */
  async signIn(username: string, password: string, totpSecret?: string): Promise<Response> {
    await this.get('/login');
    let res = await this.post('/login', { username, password });
    if (totpSecret && res.headers.get('location')?.startsWith('/login/2fa')) {
      await this.get('/login/2fa');
      res = await this.post('/login/2fa', { code: currentTotp(totpSecret) });
    }
    if (res.status !== 303) throw new Error(`sign-in as ${username} failed with ${res.status}: ${await res.text()}`);
    await this.get('/');
    return res;
  }
}
