import type { TwoFactorStatus } from '../../server/account/two-factor.service.js';
import type { Usage } from '../../server/library/usage.service.js';
import type { Role } from '../../server/users/roles.js';
import { MIN_PASSWORD_LENGTH } from '../../server/users/passwords.js';
import type { User } from '../../server/users/users.table.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { amountText, UsageFacts } from '../components/usage.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

const roleNames: Record<Role, string> = {
  admin: 'Administrator',
  member: 'Member',
  viewer: 'Viewer (can look at what is shared, not change it)',
};

export function AccountPage(props: { page: PageContext; user: User; twoFactor: TwoFactorStatus; usage: Usage; error?: string; notice?: string }) {
  const { user, twoFactor, usage } = props;
  return (
    <Layout title="Your account" page={props.page} narrow>
      <h1>Your account</h1>
      <section class="card" aria-labelledby="who">
        <h2 id="who">{user.displayName}</h2>
        <dl class="facts">
          <dt>User name</dt>
          <dd>{user.username}</dd>
          <dt>Role</dt>
          <dd>{roleNames[user.role]}</dd>
          <dt>Two-step sign-in</dt>
          <dd data-testid="2fa-status">
            {twoFactor.on ? `On, ${twoFactor.unusedCodes} unused recovery code${twoFactor.unusedCodes === 1 ? '' : 's'}` : 'Off'}
          </dd>
        </dl>
        <ul class="links">
          <li>
            <a href="/account/2fa">{twoFactor.on ? 'Manage two-step sign-in' : 'Turn on two-step sign-in'}</a>
          </li>
          <li>
            <a href="/account/devices">Devices and API tokens</a>
          </li>
        </ul>
      </section>
      <section class="card" aria-labelledby="storage">
        <h2 id="storage">Your storage</h2>
        <UsageFacts usage={usage} />
        <p class="muted">
          A Live Photo counts as one photo; its short video counts towards videos. Items in the trash count until they are deleted for good
          {usage.trashed.items > 0 ? <span data-testid="usage-trashed"> (now {amountText(usage.trashed)})</span> : null}.
        </p>
      </section>
      <form method="post" action="/account/password" class="card" aria-labelledby="pw">
        <h2 id="pw">Change your password</h2>
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} ok={props.notice} />
        <Field label="Current password" name="current" type="password" autocomplete="current-password" maxlength={256} />
        <Field
          label="New password"
          name="next"
          type="password"
          autocomplete="new-password"
          minlength={MIN_PASSWORD_LENGTH}
          maxlength={256}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. Your other devices will be signed out.`}
        />
        <Field label="Repeat the new password" name="repeat" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} maxlength={256} />
        <button type="submit" class="primary">Change password</button>
      </form>
    </Layout>
  );
}
