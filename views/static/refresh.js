// Keeps the part of a page marked data-refresh="<seconds>" current (job progress, say) by fetching the
// page again and swapping that part in. Pauses while the tab is hidden or focus is inside the part.
const region = document.querySelector('[data-refresh]');

if (region) {
  const every = Math.max(2, Number(region.dataset.refresh) || 5) * 1000;
  const refresh = async () => {
    if (document.hidden || region.contains(document.activeElement)) return;
    const res = await fetch(location.pathname, { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (!res.ok || res.redirected) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('[data-refresh]');
    if (fresh) region.replaceChildren(...fresh.childNodes);
  };
  const loop = () => setTimeout(() => refresh().catch(() => {}).finally(loop), every);
  loop();
}
