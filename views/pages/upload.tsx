import { formatBytes } from '../../server/format-bytes.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';

/**
 * The upload page. Everything after the first paint is /static/upload.js: it keeps the queue, sends one file per
 * request with XMLHttpRequest (for real upload progress) and fills in #up-list.
 */
export function UploadPage(props: { page: PageContext; maxFileBytes: number }) {
  // Chromium, Firefox and Safari all read this attribute to pick a whole folder; the JSX types do not know it.
  const folderPicker = { webkitdirectory: true };
  return (
    <Layout title="Upload" page={props.page} scripts={['/static/upload.js']}>
      <h1>Upload</h1>
      <section class="up" data-upload data-max-bytes={String(props.maxFileBytes)} aria-label="Upload photos and videos">
        <div class="up-drop" id="up-drop">
          <p class="up-drop-title">Drop photos, videos or whole folders here</p>
          <div class="up-pick">
            <input id="up-files" class="up-input visually-hidden" type="file" multiple accept="image/*,video/*" />
            <label class="up-button up-primary" for="up-files">
              Choose photos and videos
            </label>
            <input id="up-folder" class="up-input visually-hidden" type="file" multiple {...folderPicker} />
            <label class="up-button" for="up-folder">
              Choose a folder
            </label>
          </div>
          <p class="up-hint">
            Up to {formatBytes(props.maxFileBytes)} per file. Files already in your library are recognised and not stored twice. Files Heirloom cannot show
            are kept and flagged.
          </p>
        </div>
        <div class="up-summary" id="up-summary" hidden>
          <div class="up-total">
            <label for="up-total-bar">All files</label>
            <progress id="up-total-bar" class="up-bar" max="100" value="0"></progress>
            <span id="up-total-text" class="up-total-text" role="status" aria-live="polite"></span>
          </div>
          <p id="up-notice" class="notice error up-notice" role="alert" hidden></p>
          <div class="up-actions">
            <button type="button" id="up-retry" class="primary" hidden>
              Retry the rest
            </button>
            <button type="button" id="up-stop" class="secondary" hidden>
              Stop
            </button>
            <button type="button" id="up-clear" class="secondary" hidden>
              Clear finished
            </button>
          </div>
        </div>
        <ol id="up-list" class="up-list" aria-label="Files"></ol>
      </section>
      <noscript>
        <p class="notice error">
          This page needs JavaScript to send files. Without it, an administrator can bring in a folder with <code>heirloom import</code>.
        </p>
      </noscript>
    </Layout>
  );
}
