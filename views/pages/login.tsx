import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

export function LoginPage(props: { page: PageContext; next: string; error?: string; username?: string; notice?: string }) {
  return (
    <Layout title="Sign in" page={props.page} narrow>
      <h1>Sign in</h1>
      <form method="post" action={`/login?next=${encodeURIComponent(props.next)}`} class="card">
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} ok={props.notice} />
        <Field label="User name" name="username" value={props.username} autocomplete="username" maxlength={64} autofocus={!props.username} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" maxlength={256} autofocus={Boolean(props.username)} />
        <button type="submit" class="primary">Sign in</button>
      </form>
    </Layout>
  );
}

export function SecondFactorPage(props: { page: PageContext; next: string; error?: string }) {
  return (
    <Layout title="Two-step sign-in" page={props.page} narrow>
      <h1>Two-step sign-in</h1>
      <form method="post" action={`/login/2fa?next=${encodeURIComponent(props.next)}`} class="card">
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} />
        <Field
          label="Code from your authenticator app"
          name="code"
          autocomplete="one-time-code"
          inputmode="text"
          maxlength={32}
          autofocus
          hint="Six digits. Lost your phone? Enter one of your recovery codes instead."
        />
        <button type="submit" class="primary">Verify</button>
      </form>
    </Layout>
  );
}
