import type { OpenInvite } from '../../server/admin/invites.repo.js';
import { INVITE_DAYS, MAX_NOTE_LENGTH, type InviteForm } from '../../server/admin/invites.service.js';
import { formatBytes } from '../../server/format-bytes.js';
import type { ServerUsage, Usage } from '../../server/library/usage.service.js';
import { roles } from '../../server/users/roles.js';
import type { User } from '../../server/users/users.table.js';
import type { Invite } from '../../server/users/invites.table.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { amountText } from '../components/usage.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';

export interface AdminUsersProps {
  page: PageContext;
  users: User[];
  invites: OpenInvite[];
  storage: ServerUsage;
  /** A link just created: shown this once, never again. */
  created?: { link: string; invite: Invite };
  form?: InviteForm;
  notice?: string;
  error?: string;
}

export function AdminUsersPage(props: AdminUsersProps) {
  const { page } = props;
  return (
    <Layout title="People" page={page}>
      <AdminHeading title="People and invites" />
      <Notice error={props.error} ok={props.notice} />
      {props.created ? <CreatedInvite {...props.created} /> : null}
      <h2>Accounts</h2>
      <UserTable users={props.users} page={page} />
      <h2>Storage</h2>
      <StorageTable storage={props.storage} />
      <h2>Open invites</h2>
      <InviteTable invites={props.invites} page={page} />
      <h2>Invite someone</h2>
      <InviteFormCard page={page} form={props.form} />
    </Layout>
  );
}

function CreatedInvite(props: { link: string; invite: Invite }) {
  return (
    <div class="card">
      <p>
        Send this link to {props.invite.note ?? 'the new family member'}. It makes one {props.invite.role} account and works until{' '}
        <When at={props.invite.expiresAt} />. <strong>It is shown only this once.</strong>
      </p>
      <p class="secret" data-testid="invite-link">{props.link}</p>
    </div>
  );
}

function UserTable(props: { users: User[]; page: PageContext }) {
  return (
    <table class="list">
      <thead>
        <tr>
          <th>User name</th>
          <th>Name</th>
          <th>Role</th>
          <th>Two-step sign-in</th>
          <th>Created</th>
          <th>Disabled</th>
          <th><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {props.users.map((u) => (
          <tr class={u.disabledAt ? 'disabled' : undefined}>
            <td>{u.username}</td>
            <td>{u.displayName}</td>
            <td>{u.role}</td>
            <td>{u.totpSecret ? 'on' : 'off'}</td>
            <td><When at={u.createdAt} /></td>
            <td><When at={u.disabledAt} /></td>
            <td>
              {u.id === props.page.user?.id ? (
                <span class="muted">you</span>
              ) : (
                <form method="post" action={`/admin/users/${u.id}/${u.disabledAt ? 'enable' : 'disable'}`} class="inline">
                  <CsrfField csrf={props.page.csrf} />
                  <button type="submit" class={u.disabledAt ? 'secondary' : 'danger'} aria-label={`${u.disabledAt ? 'Enable' : 'Disable'} ${u.username}`}>
                    {u.disabledAt ? 'Enable' : 'Disable'}
                  </button>
                </form>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StorageTable(props: { storage: ServerUsage }) {
  const { people, total, disk } = props.storage;
  return (
    <>
      <table class="list" data-testid="storage">
        <thead>
          <tr>
            <th>User name</th>
            <th>Photos</th>
            <th>Videos</th>
            <th>Other files</th>
            <th>Previews and web copies</th>
            <th>In all</th>
            <th>Of which in the trash</th>
          </tr>
        </thead>
        <tbody>
          {people.map((p) => (
            <StorageRow name={p.user.username} usage={p.usage} />
          ))}
        </tbody>
        <tfoot>
          <StorageRow name="Everyone" usage={total} />
        </tfoot>
      </table>
      <p class="muted">
        Photos and videos are the originals as uploaded; a Live Photo counts as one photo and its short video as video. Items in the trash count until
        they are deleted for good.
      </p>
      <p data-testid="disk-free">
        {disk ? `The data disk has ${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.sizeBytes)}.` : 'The free space of the data disk could not be read.'}
      </p>
    </>
  );
}

function StorageRow(props: { name: string; usage: Usage }) {
  const { usage } = props;
  return (
    <tr data-user={props.name}>
      <th scope="row">{props.name}</th>
      <td>{amountText(usage.photo)}</td>
      <td>{amountText(usage.video)}</td>
      <td>{amountText(usage.other)}</td>
      <td>{formatBytes(usage.derivedBytes)}</td>
      <td>{formatBytes(usage.totalBytes)}</td>
      <td>{amountText(usage.trashed)}</td>
    </tr>
  );
}

function InviteTable(props: { invites: OpenInvite[]; page: PageContext }) {
  if (props.invites.length === 0) return <p class="muted">No open invites.</p>;
  return (
    <table class="list">
      <thead>
        <tr>
          <th>Role</th>
          <th>Note</th>
          <th>Expires</th>
          <th>Created by</th>
          <th><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {props.invites.map((i) => (
          <tr>
            <td>{i.role}</td>
            <td>{i.note ?? <span class="muted">—</span>}</td>
            <td><When at={i.expiresAt} /></td>
            <td>{i.createdByName}</td>
            <td>
              <form method="post" action={`/admin/invites/${i.id}/revoke`} class="inline">
                <CsrfField csrf={props.page.csrf} />
                <button type="submit" class="danger" aria-label={`Revoke the ${i.role} invite${i.note ? ` for ${i.note}` : ''}`}>Revoke</button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function InviteFormCard(props: { page: PageContext; form?: InviteForm }) {
  const role = props.form?.role ?? 'member';
  return (
    <form method="post" action="/admin/invites" class="card narrow-form">
      <CsrfField csrf={props.page.csrf} />
      <div class="field">
        <label for="f-role">Role</label>
        <select id="f-role" name="role">
          {roles.map((r) => (
            <option value={r} selected={r === role}>{r}</option>
          ))}
        </select>
        <small>A viewer only looks at what is shared with them; a member keeps their own photos; an admin runs the server.</small>
      </div>
      <Field label="Note" name="note" value={props.form?.note} required={false} maxlength={MAX_NOTE_LENGTH} hint='Who it is for, such as "Grandma". Only admins see it.' />
      <Field
        label="Valid for (days)"
        name="days"
        type="number"
        value={props.form?.days ?? String(INVITE_DAYS.default)}
        inputmode="numeric"
        hint={`${INVITE_DAYS.min} to ${INVITE_DAYS.max} days.`}
      />
      <button type="submit" class="primary">Create invite link</button>
    </form>
  );
}
