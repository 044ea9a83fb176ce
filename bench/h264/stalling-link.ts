import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A link that can stall, between viewers and the daemon: a TCP proxy on 127.0.0.1. While stalled
 * it reads nothing from the daemon's sockets, so they back up and the hub must skip frames for
 * those viewers, as for a phone whose Wi-Fi drops out for a while; resumed, it carries at full speed.
 */
export class StallingLink {
  private readonly server: Server;
  private readonly upstreams = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  private stalled = false;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((viewer) => this.carry(viewer));
  }

  static async open(targetPort: number): Promise<StallingLink> {
    const link = new StallingLink(targetPort);
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  stall(): void {
    this.stalled = true;
    for (const upstream of this.upstreams) upstream.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const upstream of this.upstreams) upstream.resume();
  }

  private carry(viewer: Socket): void {
    const daemon = connect({ host: '127.0.0.1', port: this.targetPort });
    this.upstreams.add(daemon);
    this.sockets.add(viewer).add(daemon);
    viewer.pipe(daemon);
    // Not pipe(): it resumes its source on drain, which would end a stall.
    daemon.on('data', (chunk: Buffer) => viewer.write(chunk));
    if (this.stalled) daemon.pause();
    const close = () => {
      viewer.destroy();
      daemon.destroy();
      this.upstreams.delete(daemon);
      this.sockets.delete(viewer);
      this.sockets.delete(daemon);
    };
    for (const socket of [viewer, daemon]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
