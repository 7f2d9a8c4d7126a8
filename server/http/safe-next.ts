/** Only a path on this server may follow a sign-in: '//evil.example', 'https://…' and '/\evil' all become '/'. */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f\\]/.test(next)) return '/';
  const url = new URL(next, 'http://heirloom.invalid');
  return url.origin === 'http://heirloom.invalid' ? `${url.pathname}${url.search}${url.hash}` : '/';
}
