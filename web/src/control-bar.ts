import { byId } from './dom.js';

/** What the buttons and keys do; main.ts supplies them. */
export interface ControlActions {
  soundOn(): void;
  toggleMute(): void;
  setVolume(volume: number): void;
  snapshot(): void;
  toggleFullscreen(): void;
  toggleOverlay(): void;
  logout(): void;
}

const idleAfterMs = 3000;

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** The button bar over the video: hides itself (and the cursor) after a few idle seconds; f/m/s/i keys. */
export class ControlBar {
  private readonly bar = byId('controls', HTMLElement);
  private readonly soundButton = byId('sound', HTMLButtonElement);
  private readonly muteButton = byId('mute', HTMLButtonElement);
  private readonly volume = byId('volume', HTMLInputElement);
  private readonly snapshotButton = byId('snapshot', HTMLButtonElement);
  private readonly fullscreenButton = byId('fullscreen', HTMLButtonElement);
  private readonly overlayButton = byId('overlay-toggle', HTMLButtonElement);
  private readonly logoutButton = byId('logout', HTMLButtonElement);
  private idleTimer: number | undefined;
  private autoHide = false;

  constructor(
    private readonly app: HTMLElement,
    actions: ControlActions,
  ) {
    this.soundButton.addEventListener('click', () => actions.soundOn());
    this.muteButton.addEventListener('click', () => actions.toggleMute());
    this.volume.addEventListener('input', () => actions.setVolume(Number(this.volume.value)));
    this.snapshotButton.addEventListener('click', () => actions.snapshot());
    this.fullscreenButton.addEventListener('click', () => actions.toggleFullscreen());
    this.overlayButton.addEventListener('click', () => actions.toggleOverlay());
    this.logoutButton.addEventListener('click', () => actions.logout());
    document.addEventListener('keydown', (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const action = {
        f: () => actions.toggleFullscreen(),
        m: () => actions.toggleMute(),
        s: () => actions.snapshot(),
        i: () => actions.toggleOverlay(),
      }[event.key.toLowerCase()];
      if (!action) return;
      event.preventDefault();
      action();
      this.wake();
    });
    for (const type of ['pointermove', 'pointerdown', 'keydown', 'focusin'] as const) {
      app.addEventListener(type, () => this.wake(), { passive: true });
    }
    this.wake();
  }

  setSound(on: boolean, muted: boolean): void {
    this.soundButton.hidden = on;
    this.muteButton.hidden = !on;
    this.volume.hidden = !on;
    this.muteButton.setAttribute('aria-pressed', String(muted));
    this.muteButton.setAttribute('aria-label', muted ? 'Unmute (m)' : 'Mute (m)');
    this.muteButton.classList.toggle('muted', muted);
  }

  setAudioAvailable(available: boolean): void {
    this.soundButton.disabled = !available;
    this.soundButton.title = available ? 'Turn sound on (m)' : 'This camera sends no sound';
  }

  setVolume(volume: number): void {
    this.volume.value = String(volume);
  }

  setOverlayVisible(visible: boolean): void {
    this.overlayButton.setAttribute('aria-pressed', String(visible));
  }

  setFullscreen(supported: boolean, active: boolean): void {
    this.fullscreenButton.hidden = !supported;
    this.fullscreenButton.setAttribute('aria-pressed', String(active));
    this.fullscreenButton.setAttribute('aria-label', active ? 'Exit fullscreen (f)' : 'Fullscreen (f)');
    this.fullscreenButton.classList.toggle('active', active);
  }

  setSnapshotEnabled(enabled: boolean): void {
    this.snapshotButton.disabled = !enabled;
  }

  setLogout(visible: boolean, username: string | null): void {
    this.logoutButton.hidden = !visible;
    this.logoutButton.title = username ? `Log out ${username}` : 'Log out';
  }

  /** Hiding only makes sense over a playing picture; while connecting the controls stay put. */
  setAutoHide(enabled: boolean): void {
    if (enabled === this.autoHide) return;
    this.autoHide = enabled;
    this.wake();
  }

  /** Shows the bar and restarts the idle timer; the bar stays while hovered or focused. */
  wake(): void {
    this.app.classList.remove('idle');
    window.clearTimeout(this.idleTimer);
    if (this.autoHide) this.idleTimer = window.setTimeout(() => this.sleep(), idleAfterMs);
  }

  private sleep(): void {
    if (this.bar.matches(':hover, :focus-within')) return this.wake();
    this.app.classList.add('idle');
  }
}
