import type { Child } from 'hono/jsx';
import { CsrfField } from './components/form.js';
import type { PageContext } from './page-context.js';

export function Layout(props: { title: string; page: PageContext; children: Child; scripts?: string[]; narrow?: boolean }) {
  const { user, csrf } = props.page;
  // htmx 4 sends this header with every request made from inside <body> (inheritance is explicit in 4.x).
  const htmxHeaders = { 'hx-headers:inherited': JSON.stringify({ 'X-CSRF-Token': csrf }) };
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={csrf} />
        <title>{`${props.title} · Heirloom`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/app.css" />
        {props.scripts?.map((src) => <script type="module" src={src} />)}
      </head>
      <body {...htmxHeaders}>
        <header class="top">
          <a class="brand" href="/">Heirloom</a>
          {user ? (
            <nav class="nav" aria-label="Main">
              <a href="/">Library</a>
              <a href="/search">Search</a>
              <a href="/favorites">Favourites</a>
              {user.role !== 'viewer' ? <a href="/upload">Upload</a> : null}
              <a href="/account">Account</a>
              {user.role === 'admin' ? <a href="/admin">Admin</a> : null}
              <form method="post" action="/logout" class="inline">
                <CsrfField csrf={csrf} />
                <button type="submit" class="link">Sign out</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main class={props.narrow ? 'narrow' : undefined}>{props.children}</main>
      </body>
    </html>
  );
}
