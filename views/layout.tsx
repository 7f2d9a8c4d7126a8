import type { Child } from 'hono/jsx';

export function Layout(props: { title: string; children: Child; scripts?: string[] }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Heirloom`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/app.css" />
        {props.scripts?.map((src) => <script type="module" src={src} />)}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">Heirloom</a>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
