import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { openContext } from './context.js';
import type { Logger } from './log.js';

/** Boot: config → db + migrate → vault unlock → app → listen. SIGTERM/SIGINT drain and exit. */
export async function startServer(config: Config, log: Logger): Promise<{ server: ServerType; stop(): Promise<void> }> {
  const ctx = await openContext(config, log);
  const app = createApp(ctx);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const listen = { fetch: app.fetch, port: config.port, hostname: config.host };
    const s = config.tls
      ? serve({ ...listen, createServer: createHttpsServer, serverOptions: { cert: config.tls.cert, key: config.tls.key, minVersion: 'TLSv1.2' } }, () => resolve(s))
      : serve(listen, () => resolve(s));
    s.once('error', reject);
  });
  ctx.background.start();
  log.info({ host: config.host, port: config.port, https: Boolean(config.tls), dataDir: config.dataDir }, 'Heirloom is listening');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ctx.close();
      log.info('stopped');
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      // Idle keep-alive connections would hold close() open for minutes.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      void stop().then(() => process.exit(0));
    });
  }
  return { server, stop };
}
