import type { AuditEntry } from '../../server/audit/audit.table.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';

/** 'invite-accepted' reads as 'Invite accepted'. */
const label = (event: string) => event.charAt(0).toUpperCase() + event.slice(1).replaceAll('-', ' ');

export function AdminAuditPage(props: { page: PageContext; entries: AuditEntry[]; limit: number }) {
  return (
    <Layout title="Audit log" page={props.page}>
      <AdminHeading title="Audit log" />
      <p class="muted">The newest {props.limit} security events, newest first. Events are kept for a year.</p>
      <table class="list audit">
        <thead>
          <tr>
            <th>Time</th>
            <th>Event</th>
            <th>Who</th>
            <th>Concerning</th>
            <th>IP address</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr>
              <td><When at={e.at} /></td>
              <td data-event={e.event}>{label(e.event)}</td>
              <td>{e.actorName ?? <span class="muted">—</span>}</td>
              <td>{e.subjectName ?? ''}</td>
              <td>{e.ip ?? ''}</td>
              <td>{e.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
