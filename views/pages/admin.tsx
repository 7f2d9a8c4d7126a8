import { KeyReminder } from '../components/key-reminder.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

const sections = [
  { href: '/admin/users', label: 'People and invites', about: 'Everyone with an account, invite links, disabling an account.' },
  { href: '/admin/audit', label: 'Audit log', about: 'Sign-ins, failures, 2FA changes, tokens and other security events.' },
  { href: '/admin/settings', label: 'Settings', about: 'Require two-step sign-in for everyone.' },
  { href: '/admin/integrity', label: 'Integrity checks', about: 'Scrub history, damaged files, and checking everything now.' },
  { href: '/admin/jobs', label: 'Background jobs', about: 'What is running or waiting, its progress, failures; cancelling a job.' },
  { href: '/admin/schedules', label: 'Schedules', about: 'When checks, snapshots and clean-ups run; change, pause or run one now.' },
  { href: '/admin/replication', label: 'Off-site copies', about: 'Where encrypted copies go, how far behind each place is, its last error; adding, testing and pausing one.' },
  { href: '/admin/recovery-kit', label: 'Recovery kit', about: 'The recovery code for the master key, shown again after your password.' },
];

const timeFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

/** A point in time in the server's time zone, machine-readable in `datetime`. */
export function When(props: { at: Date | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  return <time datetime={props.at.toISOString()}>{timeFormat.format(props.at)}</time>;
}

/**
 * The title of an admin page, with the way back to the overview and, until the admin has confirmed
 * the recovery code is kept safe, the key reminder (left out only on the recovery kit page itself).
 */
export function AdminHeading(props: { title: string; keyReminder?: boolean }) {
  return (
    <>
      <p class="crumbs">
        <a href="/admin">Admin</a> ›
      </p>
      <h1>{props.title}</h1>
      {props.keyReminder === false ? null : <KeyReminder />}
    </>
  );
}

export function AdminPage(props: { page: PageContext }) {
  return (
    <Layout title="Admin" page={props.page}>
      <h1>Admin</h1>
      <KeyReminder />
      <ul class="admin-sections">
        {sections.map((s) => (
          <li class="card">
            <a href={s.href}>{s.label}</a>
            <p class="muted">{s.about}</p>
          </li>
        ))}
      </ul>
    </Layout>
  );
}
