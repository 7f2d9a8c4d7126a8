// Multi-select for grids of [data-select-grid] tiles: a click ticks one, shift-click ticks (or unticks)
// the whole range from the last one clicked; the bulk form's count and buttons follow the selection.
// Works on grids swapped in later (search results) because it listens on the document.
import { thumbHashToDataURL } from '/static/vendor/thumbhash.js';

const CHECK = 'input.org-check';
let last = null;

const boxes = () => [...document.querySelectorAll(`[data-select-grid] ${CHECK}`)];

function update() {
  const form = document.querySelector('[data-select-form]');
  if (!form) return;
  const all = boxes();
  const n = all.filter((b) => b.checked).length;
  const count = form.querySelector('[data-select-count]');
  if (count) count.textContent = n === 0 ? 'Tick photos to act on them (shift-click ticks a range)' : `${n} selected`;
  for (const button of form.querySelectorAll('[data-needs-selection]')) button.disabled = n === 0;
  const tools = form.querySelector('[data-select-tools]');
  if (tools) tools.hidden = all.length === 0;
  for (const b of all) b.closest('.org-tile')?.classList.toggle('org-selected', b.checked);
}

document.addEventListener('click', (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const box = target.closest(CHECK);
  if (box) {
    const all = boxes();
    if (event.shiftKey && last && last !== box && all.includes(last)) {
      const [from, to] = [all.indexOf(last), all.indexOf(box)].sort((a, b) => a - b);
      for (let i = from; i <= to; i++) all[i].checked = box.checked;
    }
    last = box;
    update();
    return;
  }
  if (target.closest('[data-select-all]')) {
    for (const b of boxes()) b.checked = true;
    update();
  } else if (target.closest('[data-select-none]')) {
    for (const b of boxes()) b.checked = false;
    last = null;
    update();
  }
});

// Keyboard ticks (space) fire click too; a change from elsewhere (form reset, back/forward cache) is caught here.
document.addEventListener('change', (event) => {
  if (event.target instanceof Element && event.target.matches(CHECK)) update();
});

function paintPlaceholders(root) {
  for (const tile of root.querySelectorAll('[data-thumbhash]')) {
    if (tile.dataset.painted) continue;
    tile.dataset.painted = '1';
    try {
      const bytes = Uint8Array.from(atob(tile.dataset.thumbhash), (c) => c.charCodeAt(0));
      tile.style.backgroundImage = `url(${thumbHashToDataURL(bytes)})`;
    } catch {
      // A malformed hash only costs the placeholder.
    }
  }
}

function refresh() {
  last = null;
  paintPlaceholders(document);
  update();
}

// htmx 4 names its events htmx:phase:action; after a swap the grid is new.
document.addEventListener('htmx:after:swap', refresh);
window.addEventListener('pageshow', refresh);
refresh();
