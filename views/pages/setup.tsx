import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { MIN_PASSWORD_LENGTH } from '../../server/users/passwords.js';

export function SetupPage(props: { page: PageContext; error?: string; username?: string; displayName?: string }) {
  return (
    <Layout title="Welcome" page={props.page} narrow>
      <h1>Welcome to Heirloom</h1>
      <p>First, create the administrator account. You will use it to invite the rest of the family.</p>
      <form method="post" action="/setup" class="card">
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} />
        <Field label="User name" name="username" value={props.username} autocomplete="username" maxlength={64} autofocus hint="Letters, digits, dots and dashes, e.g. anna." />
        <Field label="Your name" name="displayName" value={props.displayName} autocomplete="name" required={false} maxlength={128} />
        <Field label="Password" name="password" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} maxlength={256} hint={`At least ${MIN_PASSWORD_LENGTH} characters. A short sentence is easy to remember.`} />
        <Field label="Repeat the password" name="confirm" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} maxlength={256} />
        <button type="submit" class="primary">Create the administrator</button>
      </form>
    </Layout>
  );
}

/** The master key's recovery code, shown once after setup: without it no replica can ever be read. */
export function RecoveryKitPage(props: { page: PageContext; code: string; keyFile: string; error?: string }) {
  return (
    <Layout title="Recovery kit" page={props.page} narrow>
      <h1>Your recovery kit</h1>
      <div class="card">
        <p>
          Every photo is encrypted with a master key. If this server is lost, the off-site copies can only be opened with
          this code. <strong>Print it or write it down and keep it somewhere safe, away from this server.</strong> It is
          shown only once.
        </p>
        <p class="secret" data-testid="recovery-code">{props.code}</p>
        <p class="muted">The same key is in the file {props.keyFile} on the server.</p>
        <form method="post" action="/setup/recovery-kit">
          <CsrfField csrf={props.page.csrf} />
          <Notice error={props.error} />
          <div class="field">
            <label>
              <input type="checkbox" name="saved" value="yes" required /> I have saved the recovery code somewhere safe.
            </label>
          </div>
          <button type="submit" class="primary">Continue</button>
        </form>
      </div>
    </Layout>
  );
}
