import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { accountRoutes } from './account/account.routes.js';
import { adminRoutes } from './admin/admin.routes.js';
import { adminUserRoutes } from './admin/admin-users.routes.js';
import { integrityRoutes } from './admin/integrity.routes.js';
import { jobRoutes } from './admin/jobs.routes.js';
import { recoveryKitRoutes } from './admin/recovery-kit.routes.js';
import { replicationRoutes } from './admin/replication.routes.js';
import { InviteService } from './admin/invites.service.js';
import { apiRoutes } from './api/api.routes.js';
import { ApiTokenService } from './auth/api-tokens.service.js';
import { AuthService } from './auth/auth.service.js';
import { authRoutes } from './auth/auth.routes.js';
import { SessionService } from './auth/sessions.service.js';
import { setupRoutes } from './auth/setup.routes.js';
import { LoginThrottle } from './auth/throttle.js';
import type { Context as AppContext } from './context.js';
import { AccessError, UserError } from './errors.js';
import type { AppEnv } from './http/app-env.js';
import { authenticate } from './http/authenticate.js';
import { clientInfo } from './http/client.js';
import { csrfProtection } from './http/csrf.js';
import { gate } from './http/gate.js';
import { securityHeaders } from './http/security-headers.js';
import { staticRoutes } from './http/static.routes.js';
import { problemsRoutes } from './integrity/problems.routes.js';
import { libraryRoutes } from './library/library.routes.js';
import { LibraryService } from './library/library.service.js';
import { UsageService } from './library/usage.service.js';
import { uploadRoutes } from './library/upload.routes.js';
import { downloadRoutes } from './library/download.routes.js';
import { motionRoutes } from './library/motion.routes.js';
import { timelineRoutes } from './library/timeline.routes.js';
import { viewerRoutes } from './library/viewer.routes.js';
import { VideoService } from './library/video.service.js';
import { organiseRoutes } from './library/organise.routes.js';
import { searchRoutes } from './search/search.routes.js';
import { inviteRoutes } from './users/invite.routes.js';

/** The services routes call; built once per app from the opened context. */
export function createServices(ctx: AppContext) {
  const { db, keyring, log, config } = ctx;
  const sessions = new SessionService(db, config);
  const tokens = new ApiTokenService(db);
  const throttle = new LoginThrottle(db);
  return {
    sessions,
    tokens,
    throttle,
    auth: new AuthService({ db, keyring, sessions, throttle, log }),
    library: new LibraryService(ctx),
    invites: new InviteService(db),
    usage: new UsageService({ db, dataDir: config.dataDir }),
  };
}

export function createApp(ctx: AppContext) {
  const { config, db, keyring } = ctx;
  const services = createServices(ctx);
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(securityHeaders);
  app.get('/healthz', (c) => c.text('ok'));
  app.route('/static', staticRoutes);
  app.use(clientInfo({ trustProxy: config.trustProxy, tls: Boolean(config.tls) }));
  app.use(authenticate(services.sessions, services.tokens));
  app.use(csrfProtection(db, keyring.deriveKey('csrf')));
  app.use(gate(services.auth));
  app.route('/', setupRoutes({ auth: services.auth, db, keyring, keyFile: config.keyFile, sessionMaxDays: config.sessionMaxDays }));
  app.route('/', authRoutes(services.auth, config.sessionMaxDays));
  app.route('/', libraryRoutes(services.library, db));
  app.route('/', uploadRoutes(ctx));
  app.route('/', downloadRoutes(ctx));
  app.route('/', motionRoutes(ctx));
  app.route('/', timelineRoutes(services.library));
  app.route('/', viewerRoutes(services.library, new VideoService({ db })));
  app.route('/', organiseRoutes(ctx));
  app.route('/', searchRoutes(ctx));
  app.route('/', problemsRoutes({ db }));
  app.route('/', recoveryKitRoutes({ db, keyring, throttle: services.throttle, keyFile: config.keyFile }));
  app.route('/', adminRoutes({ db, auth: services.auth }));
  app.route('/', adminUserRoutes({ db, invites: services.invites, usage: services.usage }));
  app.route('/', jobRoutes({ db, background: ctx.background }));
  app.route('/', integrityRoutes({ db, queue: ctx.background.queue }));
  app.route('/', replicationRoutes({ background: ctx.background, log: ctx.log }));
  app.route('/', inviteRoutes({ invites: services.invites, sessions: services.sessions, sessionMaxDays: config.sessionMaxDays }));
  app.route('/account', accountRoutes({ ...services, db, keyring }));
  app.route('/api/v1', apiRoutes());
  app.notFound((c) => c.text('Not found.', 404));
  app.onError((err, c) => {
    if (err instanceof AccessError) {
      if (c.req.path.startsWith('/api/')) return c.json({ error: err.message }, err.status);
      const wantsPage = c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
      if (err.status === 401 && wantsPage) return c.redirect(`/login?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search ?? ''))}`, 303);
      return c.text(err.message, err.status);
    }
    if (err instanceof UserError) return c.text(err.message, 400);
    ctx.log.error({ err, requestId: c.get('requestId') }, 'request failed');
    return c.text(`Something went wrong on the server (request ${c.get('requestId')}). The details are in the server log.`, 500);
  });
  return app;
}
