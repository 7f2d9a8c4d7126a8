import type { Enrolment, TwoFactorStatus } from '../../server/account/two-factor.service.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

/** Which form an error message belongs to, so it appears next to it. */
export type TwoFactorForm = 'enable' | 'disable' | 'codes';

const CODE_HINT = 'Six digits from your authenticator app, or one of your recovery codes.';

function CodeField(props: { label?: string; hint?: string }) {
  return <Field label={props.label ?? 'Code'} name="code" autocomplete="one-time-code" inputmode="text" maxlength={32} hint={props.hint ?? CODE_HINT} />;
}

function Enrol(props: { page: PageContext; enrolment: Enrolment; error?: string }) {
  const grouped = props.enrolment.secret.match(/.{1,4}/g)!.join(' ');
  return (
    <section class="card" aria-labelledby="enrol">
      <h2 id="enrol">Set up your authenticator app</h2>
      <ol>
        <li>Open an authenticator app on your phone (for example Aegis, Google Authenticator or 1Password).</li>
        <li>Scan this QR code with it:</li>
      </ol>
      <img class="qr" src={props.enrolment.qrDataUrl} width={220} height={220} alt="QR code for your authenticator app" />
      <p>Cannot scan? Enter this key by hand instead:</p>
      <p class="secret" data-testid="totp-secret">{grouped}</p>
      <form method="post" action="/account/2fa/enable">
        <CsrfField csrf={props.page.csrf} />
        <Notice error={props.error} />
        <CodeField label="Code shown by the app" hint="Six digits; they change every 30 seconds." />
        <button type="submit" class="primary">Turn on two-step sign-in</button>
      </form>
    </section>
  );
}

function Manage(props: { page: PageContext; status: TwoFactorStatus; errorFor?: TwoFactorForm; error?: string }) {
  const { status, page } = props;
  const errorOn = (form: TwoFactorForm) => (props.errorFor === form ? props.error : undefined);
  return (
    <>
      <form method="post" action="/account/2fa/recovery-codes" class="card" aria-labelledby="codes">
        <h2 id="codes">Recovery codes</h2>
        <p>
          You have <strong>{status.unusedCodes}</strong> unused recovery code{status.unusedCodes === 1 ? '' : 's'}. Each works once, if
          your phone is lost. New codes replace all the old ones.
        </p>
        <CsrfField csrf={page.csrf} />
        <Notice error={errorOn('codes')} />
        <CodeField />
        <button type="submit" class="secondary">Make new recovery codes</button>
      </form>
      <section class="card" aria-labelledby="off">
        <h2 id="off">Turn off two-step sign-in</h2>
        {status.required ? (
          <p class="notice" role="note">Your administrator requires two-step sign-in for every account, so it cannot be turned off.</p>
        ) : (
          <form method="post" action="/account/2fa/disable">
            <CsrfField csrf={page.csrf} />
            <Notice error={errorOn('disable')} />
            <Field label="Your password" name="password" type="password" autocomplete="current-password" maxlength={256} />
            <CodeField />
            <button type="submit" class="danger">Turn off two-step sign-in</button>
          </form>
        )}
      </section>
    </>
  );
}

export function TwoFactorPage(props: {
  page: PageContext;
  status: TwoFactorStatus;
  /** Present while 2FA is off. */
  enrolment?: Enrolment;
  errorFor?: TwoFactorForm;
  error?: string;
  notice?: string;
}) {
  const { status } = props;
  return (
    <Layout title="Two-step sign-in" page={props.page} narrow>
      <h1>Two-step sign-in</h1>
      <p data-testid="2fa-status">
        Two-step sign-in is <strong>{status.on ? 'on' : 'off'}</strong>.{' '}
        {status.on ? 'Signing in asks for a code from your authenticator app after your password.' : 'With it, a stolen password alone cannot open your account.'}
      </p>
      {!status.on && status.required ? (
        <p class="notice error" role="alert">Your administrator requires two-step sign-in. Set it up to continue using Heirloom.</p>
      ) : null}
      <Notice ok={props.notice} />
      {props.enrolment ? (
        <Enrol page={props.page} enrolment={props.enrolment} error={props.errorFor === 'enable' ? props.error : undefined} />
      ) : (
        <Manage page={props.page} status={status} errorFor={props.errorFor} error={props.error} />
      )}
      <p>
        <a href="/account">Back to your account</a>
      </p>
    </Layout>
  );
}

/** The recovery codes, shown once right after they are made. */
export function RecoveryCodesPage(props: { page: PageContext; codes: string[]; justEnabled: boolean }) {
  return (
    <Layout title="Recovery codes" page={props.page} narrow>
      <h1>{props.justEnabled ? 'Two-step sign-in is on' : 'New recovery codes'}</h1>
      <div class="card">
        <p>
          If you lose your phone, each of these codes lets you sign in once. <strong>Print them or write them down and keep them safe.</strong>{' '}
          They are shown only now{props.justEnabled ? '' : '; the old codes no longer work'}.
        </p>
        <ol class="codes" data-testid="recovery-codes">
          {props.codes.map((code) => (
            <li>{code}</li>
          ))}
        </ol>
        <p>
          <a href="/account/2fa">I have saved them</a>
        </p>
      </div>
    </Layout>
  );
}
