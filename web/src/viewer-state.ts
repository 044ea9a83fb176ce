/** Where the viewer is, as shown to the person and returned by window.wscam.state(). */
export type ViewerState = 'connecting' | 'live' | 'no-signal' | 'reconnecting' | 'login';

/** The centred message for each state; null where the picture speaks for itself. */
export function stateMessage(state: ViewerState, countdown: number): string | null {
  switch (state) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return null;
    case 'no-signal':
      return 'No signal';
    case 'reconnecting':
      return `Reconnecting in ${countdown} s…`;
    case 'login':
      return null;
  }
}

export function stateLabel(state: ViewerState): string {
  switch (state) {
    case 'connecting':
      return 'Connecting';
    case 'live':
      return 'Live';
    case 'no-signal':
      return 'No signal';
    case 'reconnecting':
      return 'Reconnecting';
    case 'login':
      return 'Login required';
  }
}
