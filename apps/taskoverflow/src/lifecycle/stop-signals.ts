/** The signals that stop the service: ECS and docker stop, Ctrl-C, a closed terminal. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * The first stop signal, caught from the moment the process starts. Until a
 * handler is installed a signal's default action kills the process at once:
 * no drain, and requests already sent are cut. Installing the handlers first
 * and acting on the signal once start-up reaches a point where it can stop
 * cleanly closes that window. Later signals (a worker gets Ctrl-C's SIGINT
 * and its primary's SIGTERM) are ignored: the stop is already under way.
 */
export class StopSignals {
  private first: NodeJS.Signals | undefined;
  readonly received: Promise<NodeJS.Signals>;

  constructor() {
    this.received = new Promise((resolve) => {
      for (const signal of STOP_SIGNALS) {
        process.on(signal, (received: NodeJS.Signals) => {
          if (this.first !== undefined) return;
          this.first = received;
          resolve(received);
        });
      }
    });
  }

  /** The signal received so far, if any: start-up checks it between its steps. */
  get signal(): NodeJS.Signals | undefined {
    return this.first;
  }
}
