// Paints each tile's thumbhash placeholder until its thumbnail has loaded.
import { thumbHashToDataURL } from '/static/vendor/thumbhash.js';

for (const tile of document.querySelectorAll('[data-thumbhash]')) {
  const bytes = Uint8Array.from(atob(tile.dataset.thumbhash), (c) => c.charCodeAt(0));
  tile.style.backgroundImage = `url(${thumbHashToDataURL(bytes)})`;
  const img = tile.querySelector('img');
  if (img.complete) continue;
  tile.classList.add('pending');
  img.addEventListener('load', () => tile.classList.remove('pending'), { once: true });
}
