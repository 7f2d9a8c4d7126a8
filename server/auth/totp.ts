import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const PERIOD = 30;

function totp(secretBase32: string, username = ''): TOTP {
  return new TOTP({ issuer: 'Heirloom', label: username, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

/** A new 160-bit secret (RFC 4226's recommended size), in the base32 form authenticator apps take. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// link and its QR code as a PNG data URL (allowed by the CSP's img-src data:). */
export async function totpEnrollment(secretBase32: string, username: string): Promise<{ uri: string; qrDataUrl: string }> {
  const uri = totp(secretBase32, username).toString();
  return { uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 }) };
}

/**
 * The time step of a valid code within ±1 step, or undefined. A code of a step at or before
 * `lastStep` was already used (or is older than one that was), so it is refused: no code works twice.
 */
export function acceptTotp(secretBase32: string, code: string, lastStep: number | null, now = Date.now()): number | undefined {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totp(secretBase32).validate({ token, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  return lastStep !== null && step <= lastStep ? undefined : step;
}

/** For tests and the CLI: the code an authenticator app would show now. */
export function currentTotp(secretBase32: string, now = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: now });
}
