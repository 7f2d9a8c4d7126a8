import { availableParallelism } from 'node:os';
import { ExifTool } from 'exiftool-vendored';

let instance: ExifTool | undefined;

/** The process-wide ExifTool (stay-open perl processes), started on first use. */
export function exiftool(): ExifTool {
  instance ??= new ExifTool({
    maxProcs: Math.min(2, availableParallelism()),
    maxTasksPerProcess: 5000,
    taskTimeoutMillis: 30_000,
    // A failed read almost always means a bad file: retrying only doubles the wait.
    taskRetries: 0,
    useMWG: false,
  });
  return instance;
}

/** Ends the ExifTool processes; the next exiftool() call starts new ones. */
export async function closeExiftool(): Promise<void> {
  const running = instance;
  instance = undefined;
  await running?.end();
}
