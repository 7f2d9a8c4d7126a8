import type { SignedInDevice, TokenDevice } from '../../server/account/devices.service.js';
import type { ApiToken } from '../../server/auth/api-tokens.table.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

const scopeNames: Record<ApiToken['scope'], string> = {
  upload: 'Upload only',
  full: 'Full access',
};

function RevokeButton(props: { page: PageContext; action: string; label: string }) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField csrf={props.page.csrf} />
      <button type="submit" class="link">{props.label}</button>
    </form>
  );
}

function Sessions(props: { page: PageContext; sessions: SignedInDevice[] }) {
  const others = props.sessions.some((s) => !s.current);
  return (
    <section class="card" aria-labelledby="sessions">
      <h2 id="sessions">Signed-in browsers</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Address</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last seen</th>
            <th scope="col"><span class="muted">Action</span></th>
          </tr>
        </thead>
        <tbody>
          {props.sessions.map((s) => (
            <tr data-session={s.id}>
              <td>
                {s.device}
                {s.current ? <strong> (this device)</strong> : null}
              </td>
              <td>{s.ip}</td>
              <td>{when.format(s.createdAt)}</td>
              <td>{when.format(s.lastSeenAt)}</td>
              <td>
                <RevokeButton page={props.page} action={`/account/devices/sessions/${s.id}/revoke`} label={s.current ? 'Sign out' : 'Sign out this device'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others ? (
        <form method="post" action="/account/devices/sessions/revoke-others">
          <CsrfField csrf={props.page.csrf} />
          <p>
            <button type="submit" class="danger">Sign out everywhere else</button>
          </p>
        </form>
      ) : null}
    </section>
  );
}

function Tokens(props: { page: PageContext; tokens: TokenDevice[] }) {
  if (props.tokens.length === 0) return <p class="muted">You have no API tokens.</p>;
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Access</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col"><span class="muted">Action</span></th>
        </tr>
      </thead>
      <tbody>
        {props.tokens.map((t) => (
          <tr data-token={t.id}>
            <td>{t.name}</td>
            <td>{scopeNames[t.scope]}</td>
            <td>{when.format(t.createdAt)}</td>
            <td>{t.lastUsedAt ? `${when.format(t.lastUsedAt)} from ${t.lastIp ?? 'an unknown address'}${t.lastDevice ? ` (${t.lastDevice})` : ''}` : 'Never'}</td>
            <td>
              <RevokeButton page={props.page} action={`/account/tokens/${t.id}/revoke`} label="Revoke" />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DevicesPage(props: {
  page: PageContext;
  sessions: SignedInDevice[];
  tokens: TokenDevice[];
  /** A token just created, shown this once. */
  newToken?: { name: string; token: string };
  tokenName?: string;
  error?: string;
  notice?: string;
}) {
  return (
    <Layout title="Devices" page={props.page}>
      <h1>Devices and API tokens</h1>
      <p>
        <a href="/account">Back to your account</a>
      </p>
      <Notice ok={props.notice} />
      <Sessions page={props.page} sessions={props.sessions} />
      <section class="card" aria-labelledby="tokens">
        <h2 id="tokens">API tokens</h2>
        <p>Tokens let the sync tool, WebDAV clients and scripts reach your account without your password.</p>
        {props.newToken ? (
          <div class="notice ok" role="status">
            <p>
              The token for <strong>{props.newToken.name}</strong> is below. Copy it into the device now: it is shown only once.
            </p>
            <p class="secret" data-testid="new-token">{props.newToken.token}</p>
          </div>
        ) : null}
        <Tokens page={props.page} tokens={props.tokens} />
        <form method="post" action="/account/tokens">
          <h3>New token</h3>
          <CsrfField csrf={props.page.csrf} />
          <Notice error={props.error} />
          <Field label="Device name" name="name" value={props.tokenName} maxlength={64} hint={'For example "Anna\'s phone" or "Laptop sync".'} />
          <div class="field">
            <label for="f-scope">Access</label>
            {props.page.user?.role === 'viewer' ? (
              <select id="f-scope" name="scope">
                <option value="full">Full access: can see what is shared with you</option>
              </select>
            ) : (
              <select id="f-scope" name="scope">
                <option value="upload">Upload only: can add photos, cannot see any</option>
                <option value="full">Full access: can see and add photos</option>
              </select>
            )}
          </div>
          <button type="submit" class="primary">Create token</button>
        </form>
      </section>
    </Layout>
  );
}
