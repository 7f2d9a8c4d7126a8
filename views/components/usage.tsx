import { formatBytes } from '../../server/format-bytes.js';
import type { Amount, Usage } from '../../server/library/usage.service.js';

const counts = new Intl.NumberFormat('en-GB');

/** "1,234 items, 4.2 GB" */
export function amountText(a: Amount): string {
  return `${counts.format(a.items)} item${a.items === 1 ? '' : 's'}, ${formatBytes(a.bytes)}`;
}

/** One person's storage, photos and videos apart; "Other files" only when there are some. */
export function UsageFacts(props: { usage: Usage }) {
  const { usage } = props;
  return (
    <dl class="facts" data-testid="usage">
      <dt>Photos</dt>
      <dd data-testid="usage-photo">{amountText(usage.photo)}</dd>
      <dt>Videos</dt>
      <dd data-testid="usage-video">{amountText(usage.video)}</dd>
      {usage.other.items > 0 ? (
        <>
          <dt>Other files</dt>
          <dd data-testid="usage-other">{amountText(usage.other)}</dd>
        </>
      ) : null}
      <dt>Previews and web copies</dt>
      <dd data-testid="usage-derived">{formatBytes(usage.derivedBytes)}</dd>
      <dt>In all</dt>
      <dd data-testid="usage-total">{formatBytes(usage.totalBytes)}</dd>
    </dl>
  );
}
