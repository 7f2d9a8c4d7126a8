import { CsrfField, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading } from './admin.js';

export function AdminSettingsPage(props: { page: PageContext; require2fa: boolean; notice?: string }) {
  return (
    <Layout title="Settings" page={props.page} narrow>
      <AdminHeading title="Settings" />
      <Notice ok={props.notice} />
      <form method="post" action="/admin/settings/require-2fa" class="card">
        <CsrfField csrf={props.page.csrf} />
        <div class="field">
          <label>
            <input type="checkbox" name="on" value="yes" checked={props.require2fa} /> Require two-step sign-in for everyone
          </label>
          <small>
            Everyone without an authenticator app set up, you included, is asked to set one up before they can go on.
          </small>
        </div>
        <button type="submit" class="primary">Save</button>
      </form>
      <form method="post" action="/admin/settings/sign-out-everyone" class="card" aria-labelledby="sign-out">
        <CsrfField csrf={props.page.csrf} />
        <h2 id="sign-out">Sign everyone out</h2>
        <p>
          Ends every signed-in browser on this server except this one: after restoring the server from a backup, or when a
          phone or computer was lost and you do not know whose. Everyone signs in again with their password.
        </p>
        <p class="muted">Apps and phones that back up with an API token keep working; each person revokes those on their Devices page.</p>
        <button type="submit" class="danger">Sign everyone else out</button>
      </form>
    </Layout>
  );
}
