import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Whether the current admin request should carry the key reminder. Set once per request by the
 * recovery kit routes' middleware on /admin/*, so every admin page shows the reminder through
 * AdminHeading without each route having to look the setting up. Outside such a request: not shown.
 */
const reminderDue = new AsyncLocalStorage<boolean>();

/** Runs the rest of an admin request with the reminder shown (`due`) or not. */
export function withKeyReminder<T>(due: boolean, fn: () => T): T {
  return reminderDue.run(due, fn);
}

/** True while the admin has not yet confirmed that the recovery code is kept somewhere safe. */
export function keyReminderDue(): boolean {
  return reminderDue.getStore() ?? false;
}

/** Until the admin acknowledges it: off-site copies cannot be restored without the master key. */
export function KeyReminder() {
  if (!keyReminderDue()) return null;
  return (
    <aside class="key-reminder" role="note" aria-label="Key safety" data-testid="key-reminder">
      <p>
        <strong>Off-site copies are useless without the master key. Keep the recovery code somewhere safe.</strong>{' '}
        <a href="/admin/recovery-kit">Show the recovery kit</a>
      </p>
    </aside>
  );
}
