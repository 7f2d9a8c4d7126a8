// Select mode for the grids (timeline, favourites, archive, trash, search results). A tile's circle ticks
// it; shift-click or shift+Space ticks (or unticks) the range from the last one ticked, across days and
// pages; a day's circle ticks the whole day; Escape clears. In select mode (after "Select", once anything
// is ticked, or after a long press on a phone) a click, Space or Enter on a tile ticks it instead of
// opening it. The bar's actions are htmx requests: their heirloom:changed event names the ids left alone,
// and the grid drops or marks the rest. Listens on the document, so tiles swapped in later (the
// timeline's next pages, search results) take part.
import '/static/vendor/htmx.js';
import { paintPlaceholders } from '/static/grid.js';

const CHECK = 'input.org-check';
const TILE = '.tl-tile, .org-tile';
const THUMB = '.tl-link, .org-thumb';
const root = document.documentElement;
let mode = false;
let last = null;
// The ids the bar's request in flight carries, to match its answer against.
let sent;

const bar = () => document.querySelector('[data-select-form]');
const boxes = () => [...document.querySelectorAll(`[data-select-grid] ${CHECK}`)];
const boxOf = (el) => el.closest(TILE)?.querySelector(CHECK);

function update() {
  const form = bar();
  if (!form) return;
  const all = boxes();
  const n = all.filter((b) => b.checked).length;
  if (n > 0) mode = true;
  // A new selection starts: what the last action did is old news.
  if (mode && !root.hasAttribute('data-selecting')) form.querySelector('.org-status')?.replaceChildren();
  root.toggleAttribute('data-selecting', mode);
  const count = form.querySelector('[data-select-count]');
  if (count) count.textContent = n > 0 ? `${n} selected` : mode ? 'Click or tap photos to select them (shift-click selects a range)' : 'Select photos to act on them';
  for (const button of form.querySelectorAll('[data-needs-selection]')) button.disabled = n === 0;
  const tools = form.querySelector('[data-select-tools]');
  if (tools) tools.hidden = all.length === 0;
  for (const day of document.querySelectorAll('[data-select-day]')) {
    const ticks = [...day.closest('.tl-day').querySelectorAll(CHECK)];
    day.setAttribute('aria-pressed', String(ticks.length > 0 && ticks.every((b) => b.checked)));
  }
}

/** Ticks (or unticks) one box, or with `range` every box from the last one ticked to it. */
function choose(box, checked, range) {
  const all = boxes();
  if (range && last && last !== box && all.includes(last)) {
    const [from, to] = [all.indexOf(last), all.indexOf(box)].sort((a, b) => a - b);
    for (let i = from; i <= to; i++) all[i].checked = checked;
  } else {
    box.checked = checked;
  }
  last = box;
  mode = true;
  update();
}

function clear() {
  for (const b of boxes()) b.checked = false;
  last = null;
  mode = false;
  update();
}

document.addEventListener('click', (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const box = target.closest(CHECK);
  // The browser has already ticked or unticked it.
  if (box) return choose(box, box.checked, event.shiftKey);
  const thumb = mode && target.closest(THUMB);
  const own = thumb && boxOf(thumb);
  if (own) {
    event.preventDefault();
    return choose(own, !own.checked, event.shiftKey);
  }
  const day = target.closest('[data-select-day]');
  if (day) {
    const ticks = [...day.closest('.tl-day').querySelectorAll(CHECK)];
    const on = !ticks.every((b) => b.checked);
    for (const b of ticks) b.checked = on;
    last = ticks.at(-1) ?? null;
    mode = true;
    update();
  } else if (target.closest('[data-select-start]')) {
    mode = true;
    update();
  } else if (target.closest('[data-select-all]')) {
    for (const b of boxes()) b.checked = true;
    update();
  } else if (target.closest('[data-select-none]')) {
    clear();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === 'Escape') {
    if (!mode) return;
    event.preventDefault();
    return clear();
  }
  if (event.key !== ' ' && event.key !== 'Enter') return;
  const target = event.target;
  if (!(target instanceof Element)) return;
  const box = target.matches(CHECK) ? target : mode && target.matches(THUMB) ? boxOf(target) : null;
  if (!box) return;
  // A plain Space on the box is the browser's own tick (its click lands above).
  if (target === box && event.key === ' ' && !event.shiftKey) return;
  event.preventDefault();
  choose(box, !box.checked, event.shiftKey);
});

// On a touch screen a long press on a photo ticks it (and starts select mode), as in a phone's own gallery.
const touch = matchMedia('(hover: none)');
document.addEventListener('contextmenu', (event) => {
  const thumb = touch.matches && event.target instanceof Element && event.target.closest(THUMB);
  const box = thumb && boxOf(thumb);
  if (!box) return;
  event.preventDefault();
  choose(box, true, false);
});

// A change from elsewhere (form reset, back/forward cache) is caught here.
document.addEventListener('change', (event) => {
  if (event.target instanceof Element && event.target.matches(CHECK)) update();
});

document.addEventListener('htmx:before:request', (event) => {
  const ctx = event.detail?.ctx;
  if (ctx?.sourceElement?.closest?.('[data-select-form]')) sent = new Set(ctx.request.body?.getAll('ids') ?? []);
});

// Items the action moved out of this page, and those it left alone (in the trash or gone), leave the grid.
document.addEventListener('heirloom:changed', (event) => {
  const form = bar();
  const { action, skipped } = event.detail ?? {};
  if (!form || !sent || !Array.isArray(skipped)) return;
  const leaves = form.dataset.removes.split(' ').includes(action);
  const left = new Set(skipped.map(String));
  for (const box of boxes()) {
    if (!sent.has(box.value)) continue;
    const tile = box.closest(TILE);
    if (leaves || left.has(box.value)) {
      tile.remove();
      continue;
    }
    const star = tile.querySelector('[data-fav-mark]');
    if (star && (action === 'favorite' || action === 'unfavorite')) star.hidden = action === 'unfavorite';
  }
  for (const section of document.querySelectorAll('.tl-month, .tl-day')) {
    if (!section.querySelector(TILE)) section.remove();
  }
  sent = undefined;
  clear();
});

document.addEventListener('htmx:after:swap', (event) => {
  // A refusal the server answered in plain text (an expired form, signed out) still reads as one.
  const ctx = event.detail?.ctx;
  const status = ctx?.target;
  if (ctx?.response?.status >= 400 && status?.matches?.('.org-status') && !status.firstElementChild) {
    const p = document.createElement('p');
    p.className = 'notice error';
    p.setAttribute('role', 'alert');
    p.textContent = status.textContent.trim() || 'That did not work. Reload the page and try again.';
    status.replaceChildren(p);
  }
  if (last && !last.isConnected) last = null;
  paintPlaceholders(document);
  update();
});

window.addEventListener('pageshow', () => {
  mode = boxes().some((b) => b.checked);
  update();
});
root.toggleAttribute('data-select-ready', true);
update();
