import type { MemoryYear } from '../../server/search/memories.js';
import { Thumb } from './select-grid.js';

const dayMonth = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long' });

/**
 * "On this day": photos from today's date in earlier years, one row per year. Renders nothing when
 * there are none, so a page can include it (or load it with hx-get="/memories") unconditionally.
 */
export function MemoriesSection(props: { years: MemoryYear[]; today: Date }) {
  if (props.years.length === 0) return null;
  return (
    <section class="search-memories" aria-labelledby="memories-title">
      <h2 id="memories-title">{`On this day, ${dayMonth.format(props.today)}`}</h2>
      {props.years.map((y) => (
        <section class="search-memory-year" aria-label={`${y.year}`}>
          <h3>
            {y.yearsAgo === 1 ? '1 year ago' : `${y.yearsAgo} years ago`} <span class="muted">{y.year}</span>
          </h3>
          <ul class="search-memory-row">
            {y.items.map((item) => (
              <li class="search-memory-tile">
                <Thumb item={item} />
              </li>
            ))}
            {y.more ? <li class="search-memory-more muted">{`and ${y.more} more`}</li> : null}
          </ul>
        </section>
      ))}
    </section>
  );
}
