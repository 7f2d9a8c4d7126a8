import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { DownloadError, readableItem } from './download.service.js';
import { findVideoAsset, transcodeProgress, type VideoAsset } from './video.repo.js';

/**
 * Originals not probed yet (stored before probing, or a moment ago) that a browser may well play, and the type
 * they are sent as. MP4, M4V and QuickTime are one container family: as video/mp4, browsers that refuse
 * video/quicktime play them too.
 */
const LIKELY_PLAYABLE: Record<string, string> = {
  'video/mp4': 'video/mp4',
  'video/x-m4v': 'video/mp4',
  'video/quicktime': 'video/mp4',
  'video/webm': 'video/webm',
};

/** What a browser can be given for a video: a stored file to stream, or why there is none (yet). */
export type Playback =
  | { state: 'ready'; blobId: string; contentType: string }
  | { state: 'preparing'; percent?: number }
  | { state: 'unavailable'; message: string };

/** Chooses what a browser plays for a video: its web copy once made, else the original when a browser can play that. */
export class VideoService {
  constructor(private readonly deps: { db: Db }) {}

  /** The stored file to stream for the actor's video; 409 while it is being prepared, 404 when it could not be. */
  stream(actor: Actor | undefined, id: number): { blobId: string; contentType: string } {
    const playback = this.playback(actor, id);
    if (playback.state === 'preparing') {
      const done = playback.percent === undefined ? '' : ` (${playback.percent}%)`;
      throw new DownloadError(409, `This video is still being prepared for the web${done}. Try again in a little while, or download the original.`);
    }
    if (playback.state === 'unavailable') throw new DownloadError(404, playback.message);
    return playback;
  }

  /** How the actor's video can be played (404 for anyone else's item or one that is not a video; 410 in the trash). */
  playback(actor: Actor | undefined, id: number): Playback {
    const asset = readableItem(actor, () => findVideoAsset(this.deps.db, id), 'play');
    if (asset.kind !== 'video') throw new DownloadError(404, `${asset.originalName} is not a video.`);
    return this.choose(asset);
  }

  private choose(asset: VideoAsset): Playback {
    const { video } = asset;
    if (video?.transcodeState === 'done' && video.transcodeBlobId) return { state: 'ready', blobId: video.transcodeBlobId, contentType: 'video/mp4' };
    // Playable means H.264 in the MP4 family (MP4, MOV, M4V, 3GP), which browsers take as video/mp4.
    if (video?.playable) return { state: 'ready', blobId: asset.originalBlobId, contentType: 'video/mp4' };
    const likely = LIKELY_PLAYABLE[asset.mime];
    if (!video && likely) return { state: 'ready', blobId: asset.originalBlobId, contentType: likely };
    const reason = video?.transcodeError?.trim().replace(/\.$/, '');
    if (video?.transcodeState === 'failed') {
      return { state: 'unavailable', message: `This video couldn't be converted for the web${reason ? `: ${reason}` : ''}. Download the original to watch it.` };
    }
    if (video?.transcodeState === 'skipped') {
      // A skip's reason already says what to do instead.
      return { state: 'unavailable', message: reason ? `No copy of this video that plays in the browser was made: ${reason}.` : 'No copy of this video that plays in the browser was made. Download the original to watch it.' };
    }
    const progress = transcodeProgress(this.deps.db, asset.id);
    return { state: 'preparing', percent: progress && Math.min(99, Math.floor((progress.done / progress.total) * 100)) };
  }
}
