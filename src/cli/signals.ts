/** The signals that ask a long-running command to stop. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

/**
 * Calls `onStop` once, on the first SIGTERM or SIGINT, and keeps listening
 * afterwards: later signals only call `onRepeat`. The listeners must stay
 * registered for the whole drain. With `process.once`, the listener is gone
 * by the time the drain runs, and an exit hook such as signal-exit's (which
 * child-process libraries load) then finds itself the only listener and
 * re-raises the signal: the process dies of SIGTERM mid-drain
 * (exit 143) instead of finishing it and exiting 0.
 * Returns a function that removes the listeners.
 */
export function onStopSignal(onStop: (signal: StopSignal) => void, onRepeat: (signal: StopSignal) => void = () => undefined): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    if (stopping) {
      onRepeat(signal);
      return;
    }
    stopping = true;
    onStop(signal);
  };
  const term = (): void => handler('SIGTERM');
  const int = (): void => handler('SIGINT');
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  return () => {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
  };
}

/**
 * Calls `onReload` on every SIGHUP, as daemons do: reload, keep running.
 * Without a listener, SIGHUP kills node (exit 129). The listener stays for
 * the process's whole life (also during a drain), for the same reason as
 * above: an exit hook such as signal-exit's re-raises a signal it finds no other listener for.
 * Returns a function that removes the listener.
 */
export function onReloadSignal(onReload: () => void): () => void {
  const hup = (): void => onReload();
  process.on('SIGHUP', hup);
  return () => {
    process.off('SIGHUP', hup);
  };
}
