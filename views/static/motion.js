// A Live Photo or motion photo in the viewer: its motion plays, muted, while the mouse rests on the photo or a
// finger (or pen) holds it down, then the still comes back. The video is fetched only when first wanted.
const live = document.querySelector('[data-motion]');

if (live) {
  const video = live.querySelector('video');
  let wanted = false;

  const play = () => {
    wanted = true;
    if (!video.getAttribute('src')) video.src = live.dataset.motion;
    video.currentTime = 0;
    video.play().catch(() => stop());
  };
  const stop = () => {
    wanted = false;
    video.pause();
    video.hidden = true;
  };

  // Shown only once frames arrive, so the still stays up while the video loads.
  video.addEventListener('playing', () => {
    if (wanted) video.hidden = false;
  });
  video.addEventListener('ended', stop);
  live.addEventListener('pointerenter', (e) => e.pointerType === 'mouse' && play());
  live.addEventListener('pointerleave', (e) => e.pointerType === 'mouse' && stop());
  live.addEventListener('pointerdown', (e) => e.pointerType !== 'mouse' && play());
  for (const type of ['pointerup', 'pointercancel']) live.addEventListener(type, (e) => e.pointerType !== 'mouse' && stop());
  // A long press would otherwise open the browser's image menu over the motion.
  live.addEventListener('contextmenu', (e) => wanted && e.preventDefault());
}
