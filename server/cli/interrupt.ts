/** Calls `onSignal` on Ctrl-C or SIGTERM until the returned function is called. */
export function onInterrupt(onSignal: () => void): () => void {
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
