/**
 * Holds the newest of a stream of decoded pictures and hands it to `draw` on the next animation frame;
 * a picture replaced before then is closed unseen, so drawing never falls behind decoding.
 */
export class NewestPicture<T extends { close(): void }> {
  private waiting: T | null = null;
  private drawRequested = false;

  constructor(
    private readonly draw: (picture: T) => void,
    private readonly onReplaced: () => void,
  ) {}

  offer(picture: T): void {
    if (this.waiting) {
      this.waiting.close();
      this.onReplaced();
    }
    this.waiting = picture;
    if (this.drawRequested) return;
    this.drawRequested = true;
    requestAnimationFrame(() => {
      this.drawRequested = false;
      const next = this.waiting;
      this.waiting = null;
      if (next) this.draw(next);
    });
  }

  /** Closes the waiting picture, if any, so nothing more is drawn. */
  clear(): void {
    this.waiting?.close();
    this.waiting = null;
  }
}
