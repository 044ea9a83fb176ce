import { login } from './auth-api.js';
import { byId } from './dom.js';

/** The username/password form shown when the daemon wants a login. */
export class LoginForm {
  private readonly section = byId('login', HTMLElement);
  private readonly form = byId('login-form', HTMLFormElement);
  private readonly username = byId('login-username', HTMLInputElement);
  private readonly password = byId('login-password', HTMLInputElement);
  private readonly submit = byId('login-submit', HTMLButtonElement);
  private readonly error = byId('login-error', HTMLElement);
  private lockTimer: number | undefined;

  constructor(private readonly onLoggedIn: () => void) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
  }

  get visible(): boolean {
    return !this.section.hidden;
  }

  show(message = ''): void {
    this.section.hidden = false;
    this.setError(message);
    (this.username.value ? this.password : this.username).focus();
  }

  hide(): void {
    this.section.hidden = true;
    this.password.value = '';
  }

  private async send(): Promise<void> {
    this.submit.disabled = true;
    this.setError('');
    const result = await login({ username: this.username.value, password: this.password.value });
    this.submit.disabled = false;
    if (result.ok) {
      this.hide();
      this.onLoggedIn();
      return;
    }
    this.password.value = '';
    this.password.focus();
    if (result.status === 401) this.setError('Wrong username or password');
    else if (result.status === 429) this.lockOut(result.retryAfterSeconds ?? 60);
    else if (result.status === 0) this.setError('Cannot reach the camera');
    else this.setError(`Login failed (HTTP ${result.status})`);
  }

  /** Counts the throttle down and keeps the button disabled until it is over. */
  private lockOut(seconds: number): void {
    window.clearInterval(this.lockTimer);
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        window.clearInterval(this.lockTimer);
        this.submit.disabled = false;
        this.setError('');
        return;
      }
      this.submit.disabled = true;
      this.setError(`Too many attempts, try again in ${left} s`);
    };
    tick();
    this.lockTimer = window.setInterval(tick, 1000);
  }

  private setError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = message === '';
  }
}
