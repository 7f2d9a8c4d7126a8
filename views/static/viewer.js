// The viewer's keyboard, swipe and zoom. Without it every control is still a plain link or form:
// previous/next and close are links, zoom opens the original, the actions post forms.
const viewer = document.querySelector('[data-viewer]');

if (viewer) {
  const prev = viewer.querySelector('a[rel="prev"]');
  const next = viewer.querySelector('a[rel="next"]');
  const close = viewer.querySelector('[data-close]');
  const stage = viewer.querySelector('[data-stage]');
  const info = viewer.querySelector('[data-info]');
  const zoom = viewer.querySelector('[data-zoom]');
  const img = stage.querySelector('.viewer-img');
  let zoomed = false;

  // Stepping replaces the history entry, so Back leaves the viewer instead of retracing each step.
  const go = (link) => {
    if (link) location.replace(link.href);
  };

  const setZoom = (on, at) => {
    if (!img?.dataset.original || on === zoomed) return;
    zoomed = on;
    stage.classList.toggle('viewer-zoomed', on);
    if (zoom) zoom.textContent = on ? 'Fit' : 'Zoom';
    if (!on) {
      stage.scrollTo(0, 0);
      return;
    }
    const preview = img.currentSrc || img.src;
    img.addEventListener(
      'error',
      () => {
        // No original to show (or not one a browser can read): stay with the preview.
        img.src = preview;
        setZoom(false);
      },
      { once: true },
    );
    img.addEventListener(
      'load',
      () => {
        // Keep the point that was clicked (or the middle) in the middle of the screen.
        const fx = at?.fx ?? 0.5;
        const fy = at?.fy ?? 0.5;
        stage.scrollTo(img.offsetWidth * fx - stage.clientWidth / 2, img.offsetHeight * fy - stage.clientHeight / 2);
      },
      { once: true },
    );
    img.src = img.dataset.original;
  };

  zoom?.addEventListener('click', (e) => {
    e.preventDefault();
    setZoom(!zoomed);
  });
  img?.addEventListener('click', (e) => {
    if (!img.dataset.original) return;
    const box = img.getBoundingClientRect();
    setZoom(!zoomed, { fx: (e.clientX - box.left) / box.width, fy: (e.clientY - box.top) / box.height });
  });

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable], video')) return;
    switch (e.key) {
      case 'ArrowLeft':
        if (zoomed) return;
        go(prev);
        break;
      case 'ArrowRight':
        if (zoomed) return;
        go(next);
        break;
      case 'Escape':
        if (zoomed) setZoom(false);
        else if (info?.open) info.open = false;
        else location.assign(close.href);
        break;
      case 'i':
        if (info) info.open = !info.open;
        break;
      case 'z':
        setZoom(!zoomed);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  // Swipe: a mostly sideways stroke of 50 px or more steps, as on a phone's own gallery.
  let start;
  stage.addEventListener(
    'touchstart',
    (e) => {
      start = e.touches.length === 1 && !zoomed ? { x: e.touches[0].clientX, y: e.touches[0].clientY } : undefined;
    },
    { passive: true },
  );
  stage.addEventListener(
    'touchend',
    (e) => {
      if (!start || e.changedTouches.length !== 1) return;
      const dx = e.changedTouches[0].clientX - start.x;
      const dy = e.changedTouches[0].clientY - start.y;
      start = undefined;
      if (Math.abs(dx) >= 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) go(dx < 0 ? next : prev);
    },
    { passive: true },
  );

  // A video this browser cannot decode: say so, with the download, instead of a dead player.
  const video = stage.querySelector('[data-video]');
  video?.addEventListener('error', () => {
    if (video.error?.code !== MediaError.MEDIA_ERR_DECODE && video.error?.code !== MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED) return;
    video.hidden = true;
    stage.querySelector('[data-video-error]').hidden = false;
  });

  // A video whose web copy is being made: look every 10 s, and show it once it plays.
  const preparing = stage.querySelector('[data-preparing]');
  if (preparing) {
    const poll = setInterval(async () => {
      if (document.hidden) return;
      const res = await fetch(preparing.dataset.preparing, { method: 'HEAD', cache: 'no-store' }).catch(() => undefined);
      if (res?.ok) {
        clearInterval(poll);
        location.reload();
      }
    }, 10_000);
  }

  // The neighbours' previews, fetched while this one is looked at, so a step shows at once.
  const warm = () => {
    for (const link of [next, prev]) {
      if (link?.dataset.preload) new Image().src = link.dataset.preload;
    }
  };
  if (document.readyState === 'complete') warm();
  else addEventListener('load', warm, { once: true });
}
