// The search page around htmx's search-as-you-type (hx-trigger on the form): Escape empties the box
// (and so the results), the tab title follows the words, and the caret goes after a query the page
// came back with. Without script the form is a plain GET and all of this is simply missing.
const form = document.getElementById('search-form');
const box = document.getElementById('search-q');

if (form && box) {
  box.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || box.value === '') return;
    event.preventDefault();
    box.value = '';
    box.dispatchEvent(new Event('input', { bubbles: true }));
  });

  const retitle = () => {
    const words = box.value.trim();
    document.title = words ? `Search: ${words} · Heirloom` : 'Search · Heirloom';
  };
  document.addEventListener('htmx:after:swap', retitle);

  if (document.activeElement === box) box.setSelectionRange(box.value.length, box.value.length);
}
