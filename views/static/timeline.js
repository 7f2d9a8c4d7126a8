// The timeline's infinite scroll is plain htmx (each page ends in a sentinel that fetches the next
// one); this file only tidies up after a page is swapped in: it paints the new placeholders and joins
// a page's first (or last) day and month with the same day and month already on screen, so a day
// split across two pages reads as one section with one justified grid.
import '/static/vendor/htmx.js';
import { paintPlaceholders } from '/static/grid.js';

const timeline = document.getElementById('tl');

/** Moves b's children (but its heading) to the end of a, then drops b. */
function join(a, b, heading) {
  b.querySelector(`:scope > ${heading}`)?.remove();
  a.append(...b.childNodes);
  b.remove();
}

/** Joins neighbouring sections that are the same month, then the same day within a month. */
export function joinSections(root) {
  const months = [...root.querySelectorAll(':scope > .tl-month')];
  for (let i = months.length - 1; i > 0; i--) {
    const [a, b] = [months[i - 1], months[i]];
    if (a.nextElementSibling === b && a.dataset.month === b.dataset.month) join(a, b, '.tl-month-h');
  }
  for (const month of root.querySelectorAll(':scope > .tl-month')) {
    const days = [...month.querySelectorAll(':scope > .tl-day')];
    for (let i = days.length - 1; i > 0; i--) {
      const [a, b] = [days[i - 1], days[i]];
      if (a.nextElementSibling !== b || a.dataset.day !== b.dataset.day) continue;
      a.querySelector(':scope > .tl-grid').append(...b.querySelector(':scope > .tl-grid').children);
      b.remove();
    }
  }
}

// Newer items are put in above what is on screen. The browser's own scroll anchoring does not act at
// the very top of a page (where a page opened at a month starts), so the page keeps its place itself:
// the first tile below the sentinel stays where it was on screen (the stylesheet turns the browser's
// anchoring off on this page, so the two never both move it).
let anchor;

if (timeline) {
  document.addEventListener('htmx:before:swap', (e) => {
    const sentinel = e.target;
    if (!(sentinel instanceof Element) || !sentinel.matches('.tl-more-newer')) return;
    const tile = sentinel.nextElementSibling?.querySelector('.tl-tile');
    anchor = tile ? { tile, top: tile.getBoundingClientRect().top } : undefined;
  });
  document.addEventListener('htmx:after:swap', () => {
    joinSections(timeline);
    paintPlaceholders(timeline);
    if (anchor?.tile.isConnected) window.scrollBy(0, anchor.tile.getBoundingClientRect().top - anchor.top);
    anchor = undefined;
  });
}
