import type { InviteProblem } from '../../server/admin/invites.service.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../server/users/passwords.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

export function InvitePage(props: { page: PageContext; action: string; role: string; error?: string; username?: string; displayName?: string }) {
  return (
    <Layout title="Join" page={props.page} narrow>
      <h1>Welcome to the family vault</h1>
      <p>You have been invited as {props.role === 'admin' ? 'an' : 'a'} {props.role}. Choose a user name and a password to create your account.</p>
      <form method="post" action={props.action} class="card">
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} />
        <Field label="User name" name="username" value={props.username} autocomplete="username" maxlength={64} autofocus hint="Letters, digits, dots and dashes, e.g. grete." />
        <Field label="Your name" name="displayName" value={props.displayName} autocomplete="name" required={false} maxlength={128} />
        <Field label="Password" name="password" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} maxlength={MAX_PASSWORD_LENGTH} hint={`At least ${MIN_PASSWORD_LENGTH} characters. A short sentence is easy to remember.`} />
        <Field label="Repeat the password" name="confirm" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} maxlength={MAX_PASSWORD_LENGTH} />
        <button type="submit" class="primary">Create my account</button>
      </form>
    </Layout>
  );
}

const explain: Record<InviteProblem, string> = {
  unknown: 'This invite link is not valid. Check that it was copied completely.',
  expired: 'This invite link has expired.',
  used: 'This invite link was already used: each link makes one account.',
  revoked: 'This invite link was withdrawn.',
};

export function InviteGonePage(props: { page: PageContext; problem: InviteProblem }) {
  return (
    <Layout title="Invite" page={props.page} narrow>
      <h1>This link does not work</h1>
      <div class="card">
        <p>{explain[props.problem]}</p>
        <p>Ask whoever sent it for a new one. Already have an account? <a href="/login">Sign in</a>.</p>
      </div>
    </Layout>
  );
}
