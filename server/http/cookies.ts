import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from './app-env.js';

/** Over HTTPS the __Host- prefix pins the cookie to this exact origin and forces Secure. */
function name(c: Context<AppEnv>, base: string): string {
  return c.var.client.secure ? `__Host-${base}` : base;
}

export function readCookie(c: Context<AppEnv>, base: string): string | undefined {
  return getCookie(c, name(c, base));
}

export function writeCookie(c: Context<AppEnv>, base: string, value: string, maxAgeSeconds?: number): void {
  setCookie(c, name(c, base), value, { path: '/', httpOnly: true, sameSite: 'Lax', secure: c.var.client.secure, maxAge: maxAgeSeconds });
}

export function clearCookie(c: Context<AppEnv>, base: string): void {
  deleteCookie(c, name(c, base), { path: '/', secure: c.var.client.secure });
}

export const SESSION_COOKIE = 'heirloom_session';
export const CSRF_COOKIE = 'heirloom_csrf';
