import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A slow link between a viewer and the daemon: a TCP proxy on 127.0.0.1 that carries daemon →
 * viewer bytes at no more than `bytesPerSecond` (viewer → daemon unlimited). It reads the daemon's
 * socket only as fast as the link allows, so the daemon's socket backs up and its hub must skip
 * frames for that viewer, as it does for a phone on a weak Wi-Fi link.
 */
export class SlowLink {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Bytes carried towards viewers. */
  carried = 0;

  private constructor(
    private readonly targetPort: number,
    readonly bytesPerSecond: number,
  ) {
    this.server = createServer((viewer) => this.carry(viewer));
  }

  static async open(targetPort: number, bytesPerSecond: number): Promise<SlowLink> {
    const link = new SlowLink(targetPort, bytesPerSecond);
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private carry(viewer: Socket): void {
    const daemon = connect({ host: '127.0.0.1', port: this.targetPort });
    this.sockets.add(viewer).add(daemon);
    const burst = this.bytesPerSecond / 10;
    let allowance = burst;
    let last = performance.now();
    viewer.pipe(daemon);
    daemon.on('data', (chunk: Buffer) => {
      viewer.write(chunk);
      this.carried += chunk.length;
      const now = performance.now();
      allowance = Math.min(burst, allowance + ((now - last) * this.bytesPerSecond) / 1000) - chunk.length;
      last = now;
      if (allowance >= 0) return;
      daemon.pause();
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          daemon.resume();
        },
        (-allowance * 1000) / this.bytesPerSecond,
      );
      this.timers.add(timer);
    });
    const close = () => {
      viewer.destroy();
      daemon.destroy();
      this.sockets.delete(viewer);
      this.sockets.delete(daemon);
    };
    for (const socket of [viewer, daemon]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
