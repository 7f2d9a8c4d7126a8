import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { When } from './admin.js';

/** One of the user's photos or videos with at least one open problem. */
export interface DamagedItem {
  assetId: number;
  name: string;
  foundAt: Date;
  /** The original itself is damaged (not only a preview made from it). */
  original: boolean;
  missing: boolean;
}

function explanation(item: DamagedItem): string {
  if (item.original && item.missing) {
    return 'The stored copy is missing from the disk. Heirloom could not restore it from an off-site copy. Keep your own copy if you still have it.';
  }
  if (item.original) {
    return 'The stored copy no longer matches what was uploaded. Heirloom moved it aside and could not repair it from an off-site copy. Keep your own copy if you still have it.';
  }
  return 'Its preview was damaged and Heirloom could not make a new one. The server’s admin can see the details.';
}

/** "1 of your photos or videos is damaged", "3 of your photos or videos are damaged". */
export function damagedSentence(n: number): string {
  return `${n} of your photos or videos ${n === 1 ? 'is' : 'are'} damaged`;
}

export function ProblemsPage(props: { page: PageContext; items: DamagedItem[] }) {
  return (
    <Layout title="Damaged items" page={props.page} narrow>
      <h1>Damaged photos and videos</h1>
      <p class="muted">
        Heirloom reads back every stored file about once a month to check it is still exactly what was uploaded.
      </p>
      {props.items.length === 0 ? (
        <p class="notice ok" role="status" data-testid="no-problems">
          Nothing of yours is damaged.
        </p>
      ) : (
        <>
          <p class="notice error" role="status">{damagedSentence(props.items.length)}.</p>
          <ul class="damaged" data-testid="damaged-items">
            {props.items.map((item) => (
              <li class="card" data-asset={item.assetId}>
                <h2 class="damaged-name">{item.name}</h2>
                <p>{explanation(item)}</p>
                <p class="muted">
                  Found <When at={item.foundAt} />
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <a href="/">Back to the library</a>
      </p>
    </Layout>
  );
}

