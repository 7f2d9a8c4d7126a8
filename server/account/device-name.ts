import Bowser from 'bowser';

/** A readable name for a user agent: "Firefox on Windows"; scripts and apps by their product name, e.g. "curl". */
export function deviceName(userAgent: string | null | undefined): string {
  if (!userAgent?.trim()) return 'Unknown device';
  const { browser, os } = Bowser.parse(userAgent);
  if (browser.name) return os.name ? `${browser.name} on ${os.name}` : browser.name;
  return /^[^\s/;()]{1,40}/.exec(userAgent.trim())?.[0] ?? 'Unknown device';
}
