/** Where things live at a target: the same sharding as the local blobs/ directory. */
export const blobKey = (blobId: string) => `blobs/${blobId.slice(0, 2)}/${blobId.slice(2, 4)}/${blobId}`;
export const MANIFEST_KEY = 'manifest.json';

/** The one plaintext object at a target: it names snapshots and counts, never files, people or keys. */
export interface Manifest {
  heirloom: 'replica';
  format: 1;
  updatedAt: string;
  /** Newest first. */
  snapshots: { key: string; takenAt: string; blobs: number }[];
}
