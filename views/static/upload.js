// The upload page: keeps a queue of files, sends them one per request with XMLHttpRequest (the one browser API
// that reports upload progress everywhere), and shows each file's progress and outcome. After a failure that
// may pass (connection lost, server busy, signed out) the queue pauses and "Retry the rest" goes on from there;
// files the server already holds come back as duplicates, so nothing is stored twice.
const root = document.querySelector('[data-upload]');

if (root) {
  const maxBytes = Number(root.dataset.maxBytes) || Infinity;
  const list = document.getElementById('up-list');
  const summary = document.getElementById('up-summary');
  const totalBar = document.getElementById('up-total-bar');
  const totalText = document.getElementById('up-total-text');
  const notice = document.getElementById('up-notice');
  const retryButton = document.getElementById('up-retry');
  const stopButton = document.getElementById('up-stop');
  const clearButton = document.getElementById('up-clear');
  const drop = document.getElementById('up-drop');
  let csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

  /** @type {{ file: File, path: string, state: string, loaded: number, el: HTMLElement, xhr?: XMLHttpRequest }[]} */
  const queue = [];
  let running = false;
  let paused = false;

  const FINISHED = new Set(['imported', 'flagged', 'duplicate', 'failed']);
  const LABELS = {
    waiting: 'Waiting',
    uploading: 'Uploading',
    storing: 'Storing…',
    imported: 'Stored',
    flagged: 'Kept, flagged',
    duplicate: 'Already in your library',
    failed: 'Failed',
    interrupted: 'Not sent yet',
  };
  // Files operating systems leave in folders: never someone's photo.
  const SYSTEM_FILES = /^(\.|thumbs\.db$|desktop\.ini$)/i;

  const formatBytes = (n) => {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let v = n;
    let i = 0;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
  };

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function addFiles(entries) {
    let skipped = 0;
    for (const { file, path } of entries) {
      if (SYSTEM_FILES.test(file.name)) {
        skipped++;
        continue;
      }
      const li = el('li', 'up-item');
      const name = el('span', 'up-name', path || file.name);
      const size = el('span', 'up-size', formatBytes(file.size));
      const bar = el('progress', 'up-bar');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', `${file.name} progress`);
      const state = el('span', 'up-state');
      const message = el('p', 'up-message');
      li.append(name, size, bar, state, message);
      list.append(li);
      const item = { file, path, state: 'waiting', loaded: 0, el: li };
      queue.push(item);
      if (file.size === 0) setState(item, 'failed', `${file.name} is empty (0 bytes): there is nothing to keep.`);
      else if (file.size > maxBytes) setState(item, 'failed', `${file.name} is ${formatBytes(file.size)}, larger than the ${formatBytes(maxBytes)} a single upload may be.`);
      else setState(item, 'waiting');
    }
    if (skipped) showNotice(`Skipped ${skipped} system file${skipped === 1 ? '' : 's'} (such as .DS_Store or Thumbs.db).`, 'ok');
    summary.hidden = queue.length === 0;
    if (!paused) run();
    render();
  }

  function setState(item, state, message) {
    item.state = state;
    item.el.dataset.state = state;
    item.el.querySelector('.up-state').textContent = LABELS[state];
    item.el.querySelector('.up-message').textContent = message ?? '';
    const bar = item.el.querySelector('.up-bar');
    if (FINISHED.has(state) && state !== 'failed') bar.value = 100;
    if (state === 'waiting' || state === 'interrupted') {
      item.loaded = 0;
      bar.value = 0;
    }
    render();
  }

  function render() {
    const total = queue.reduce((sum, q) => sum + q.file.size, 0);
    const done = queue.reduce((sum, q) => sum + (FINISHED.has(q.state) ? q.file.size : q.loaded), 0);
    totalBar.value = total ? Math.floor((done / total) * 100) : 0;
    const count = (s) => queue.filter((q) => q.state === s).length;
    const finished = queue.filter((q) => FINISHED.has(q.state)).length;
    const parts = [`${finished} of ${queue.length} files done`, `${formatBytes(done)} of ${formatBytes(total)}`];
    const stored = count('imported') + count('flagged');
    if (stored) parts.push(`${stored} stored`);
    if (count('duplicate')) parts.push(`${count('duplicate')} already there`);
    if (count('failed')) parts.push(`${count('failed')} failed`);
    totalText.textContent = parts.join(' · ');
    const pending = queue.some((q) => q.state === 'waiting' || q.state === 'interrupted');
    retryButton.hidden = !(paused && pending);
    stopButton.hidden = !running || paused;
    clearButton.hidden = finished === 0 || running;
    root.dataset.busy = running ? 'true' : 'false';
  }

  function showNotice(text, kind = 'error') {
    notice.textContent = text;
    notice.className = `notice ${kind} up-notice`;
    notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    notice.hidden = !text;
  }

  async function run() {
    if (running) return;
    running = true;
    render();
    try {
      for (;;) {
        if (paused) break;
        const next = queue.find((q) => q.state === 'waiting');
        if (!next) break;
        await send(next);
      }
    } finally {
      running = false;
      render();
    }
  }

  /** Sends one file; resolves when the server answered (or the connection failed), never rejects. */
  function send(item) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      item.xhr = xhr;
      const bar = item.el.querySelector('.up-bar');
      xhr.open('POST', '/upload');
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        item.loaded = Math.min(item.file.size, (e.loaded / e.total) * item.file.size);
        bar.value = Math.floor((e.loaded / e.total) * 100);
        render();
      });
      // Every byte is sent: the server is now hashing, encrypting and making previews.
      xhr.upload.addEventListener('load', () => setState(item, 'storing'));
      xhr.addEventListener('load', () => {
        let answer = {};
        try {
          answer = JSON.parse(xhr.responseText);
        } catch {
          answer = { message: xhr.responseText.trim().slice(0, 300) };
        }
        const message = answer.message || `The server answered ${xhr.status}.`;
        if (xhr.status === 200 || xhr.status === 201) {
          const state = answer.status === 'duplicate' ? 'duplicate' : answer.flag ? 'flagged' : 'imported';
          setState(item, state, state === 'imported' ? '' : message);
        } else if ([400, 413, 415, 422].includes(xhr.status)) {
          // Something about this file: the rest of the queue goes on.
          setState(item, 'failed', message);
        } else {
          // Signed out, the form expired, the server is busy or its disk is full: the rest waits for a retry.
          pause(item, 'Not stored yet.', xhr.status === 401 ? `${message} Sign in again in another tab, then choose Retry the rest.` : message);
        }
        resolve();
      });
      xhr.addEventListener('error', () => {
        pause(item, 'Not stored: the connection was lost.', `The connection to the server was lost while sending ${item.file.name}. Nothing half-sent was kept. Check the network, then choose Retry the rest.`);
        resolve();
      });
      xhr.addEventListener('abort', () => {
        pause(item, 'Stopped.', 'Stopped. Choose Retry the rest to go on.');
        resolve();
      });
      const form = new FormData();
      form.append('lastModified', String(item.file.lastModified));
      if (item.path && item.path.includes('/')) form.append('relativePath', item.path);
      form.append('file', item.file, item.file.name);
      setState(item, 'uploading');
      xhr.send(form);
    });
  }

  function pause(item, itemMessage, notice) {
    paused = true;
    setState(item, 'interrupted', itemMessage);
    showNotice(notice);
  }

  /** The CSRF token changes at every sign-in: fetch the current one before going on after a pause. */
  async function refreshToken() {
    try {
      const res = await fetch('/upload', { headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok || res.redirected) return false;
      const page = new DOMParser().parseFromString(await res.text(), 'text/html');
      csrf = page.querySelector('meta[name="csrf-token"]')?.content ?? csrf;
      return true;
    } catch {
      return false;
    }
  }

  retryButton.addEventListener('click', async () => {
    retryButton.disabled = true;
    try {
      if (!(await refreshToken())) {
        showNotice('The server cannot be reached, or you are signed out. Sign in again in another tab, then choose Retry the rest.');
        return;
      }
      for (const q of queue) if (q.state === 'interrupted') setState(q, 'waiting');
      paused = false;
      showNotice('');
      run();
    } finally {
      retryButton.disabled = false;
    }
  });

  stopButton.addEventListener('click', () => {
    paused = true;
    queue.find((q) => q.state === 'uploading' || q.state === 'storing')?.xhr?.abort();
    render();
  });

  clearButton.addEventListener('click', () => {
    for (let i = queue.length - 1; i >= 0; i--) {
      if (!FINISHED.has(queue[i].state)) continue;
      queue[i].el.remove();
      queue.splice(i, 1);
    }
    summary.hidden = queue.length === 0;
    render();
  });

  for (const input of [document.getElementById('up-files'), document.getElementById('up-folder')]) {
    input.addEventListener('change', () => {
      addFiles([...input.files].map((file) => ({ file, path: file.webkitRelativePath || '' })));
      // The same files can be chosen again (after clearing the list, say).
      input.value = '';
    });
  }

  /** Files inside dropped folders, depth first; a folder is read in batches until it says it has no more. */
  async function filesFromEntries(entries) {
    const out = [];
    const walk = async (entry) => {
      if (entry.isFile) {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        out.push({ file, path: entry.fullPath.replace(/^\/+/, '') });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          if (batch.length === 0) break;
          for (const child of batch) await walk(child);
        }
      }
    };
    for (const entry of entries) await walk(entry);
    return out;
  }

  // A file dropped anywhere else on the page must not make the browser navigate away from the queue.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => e.preventDefault());
  drop.addEventListener('dragenter', () => drop.classList.add('up-dragging'));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    drop.classList.add('up-dragging');
  });
  drop.addEventListener('dragleave', (e) => {
    if (!drop.contains(e.relatedTarget)) drop.classList.remove('up-dragging');
  });
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('up-dragging');
    const transfer = e.dataTransfer;
    if (!transfer) return;
    // The entries must be taken while the event lasts; reading them can wait.
    const entries = [...transfer.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.());
    const plain = [...transfer.files].map((file) => ({ file, path: '' }));
    if (entries.length && entries.every(Boolean)) {
      try {
        addFiles(await filesFromEntries(entries));
        return;
      } catch {
        // Fall through to the plain file list.
      }
    }
    addFiles(plain);
  });

  window.addEventListener('beforeunload', (e) => {
    if (queue.some((q) => !FINISHED.has(q.state))) e.preventDefault();
  });

  render();
}
