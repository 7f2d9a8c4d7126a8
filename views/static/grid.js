// Paints each tile's thumbhash placeholder until its thumbnail has loaded. Tiles swapped in later
// (the timeline's next pages) are painted by calling paintPlaceholders again: a painted tile loses
// its data-thumbhash, so each is decoded once.
import { thumbHashToDataURL } from '/static/vendor/thumbhash.js';

export function paintPlaceholders(root = document) {
  for (const tile of root.querySelectorAll('[data-thumbhash]')) {
    const hash = tile.dataset.thumbhash;
    tile.removeAttribute('data-thumbhash');
    tile.dataset.placeholder = 'painted';
    try {
      const bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
      tile.style.backgroundImage = `url(${thumbHashToDataURL(bytes)})`;
    } catch {
      continue; // a bad hash leaves the plain tile colour
    }
    const img = tile.querySelector('img');
    if (!img || img.complete) continue;
    tile.classList.add('pending');
    const done = () => tile.classList.remove('pending');
    img.addEventListener('load', done, { once: true });
    img.addEventListener('error', done, { once: true });
  }
}

paintPlaceholders();
