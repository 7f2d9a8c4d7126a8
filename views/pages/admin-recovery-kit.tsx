import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading } from './admin.js';

export interface AdminRecoveryKitProps {
  page: PageContext;
  /** Whether the admin has confirmed that the code is kept somewhere safe. */
  saved: boolean;
  /** The recovery code, only after the password was given again. */
  code?: string;
  keyFile: string;
  /** A refused password (or a missing confirmation). */
  error?: string;
  notice?: string;
}

/** The recovery code again, after the admin's password; and the confirmation that ends the key reminder. */
export function AdminRecoveryKitPage(props: AdminRecoveryKitProps) {
  const { page } = props;
  return (
    <Layout title="Recovery kit" page={page} narrow>
      <AdminHeading title="Recovery kit" keyReminder={false} />
      <Notice ok={props.notice} error={props.error} />
      <div class="card">
        <p>
          Every photo is encrypted with a master key. If this server is lost, the off-site copies can only be opened with the recovery code.
          <strong> Print it or write it down and keep it somewhere safe, away from this server.</strong>
        </p>
        {props.code ? (
          <>
            <p class="secret" data-testid="recovery-code">{props.code}</p>
            <p class="muted">The same key is in the file {props.keyFile} on the server. Close this page once you have saved the code.</p>
          </>
        ) : (
          <form method="post" action="/admin/recovery-kit">
            <CsrfField csrf={page.csrf} />
            <Field label="Your password" name="password" type="password" autocomplete="current-password" maxlength={1024} hint="Asked again, so nobody at an unlocked browser can read the code." />
            <button type="submit" class="primary">Show the recovery code</button>
          </form>
        )}
      </div>
      {props.saved ? (
        <p class="muted" data-testid="kit-saved">You have confirmed that the recovery code is kept somewhere safe.</p>
      ) : (
        <form method="post" action="/admin/recovery-kit/acknowledge" class="card">
          <CsrfField csrf={page.csrf} />
          <div class="field">
            <label>
              <input type="checkbox" name="saved" value="yes" required /> I have saved the recovery code somewhere safe, away from this server.
            </label>
            <small>This ends the reminder on the admin pages.</small>
          </div>
          <button type="submit" class="secondary">Confirm</button>
        </form>
      )}
    </Layout>
  );
}
