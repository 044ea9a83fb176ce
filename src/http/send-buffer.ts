import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { describeError, errnoName } from '../describe-error.js';

/**
 * What a viewer's socket may hold in the kernel before Node sees backpressure. Linux autotunes the
 * send buffer up to net.ipv4.tcp_wmem's max (4 MiB on Debian and Raspberry Pi OS): seconds of MJPEG,
 * over a minute of H.264, that a viewer on a slow link would get ever later instead of skipping to
 * the newest frame. Linux doubles the value set; 256 KiB in flight still fills 100 Mbit/s at 20 ms RTT.
 */
export const VIEWER_SEND_BUFFER_BYTES = 128 * 1024;

// Linux values on x86, ARM and arm64 alike (they differ only on MIPS, SPARC, Alpha)
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

type SetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number) => number;

let setsockopt: { ok: true; call: SetSockOpt; errno: () => number } | { ok: false; error: string } | undefined;

/** libc's setsockopt through koffi (prebuilt in its npm package: nothing is compiled on a board), loaded on first use. */
function loadSetSockOpt(): NonNullable<typeof setsockopt> {
  if (setsockopt !== undefined) return setsockopt;
  if (process.platform !== 'linux') return (setsockopt = { ok: false, error: `not on Linux (${process.platform})` });
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const call = koffi.load(null).func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)') as SetSockOpt;
    setsockopt = { ok: true, call, errno: () => koffi.errno() };
  } catch (error) {
    setsockopt = { ok: false, error: `cannot load koffi: ${describeError(error)}` };
  }
  return setsockopt;
}

/** Caps a connected socket's kernel send buffer at `bytes` (which also turns off Linux's autotuning for it). */
export function capSendBuffer(socket: Socket, bytes = VIEWER_SEND_BUFFER_BYTES): { ok: true } | { ok: false; error: string } {
  const libc = loadSetSockOpt();
  if (!libc.ok) return libc;
  // Node keeps the descriptor on the libuv handle (TCP, or TLSWrap over it); there is no public getter.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { ok: false, error: 'socket has no file descriptor' };
  const value = Buffer.alloc(4);
  if (endianness() === 'LE') value.writeInt32LE(bytes);
  else value.writeInt32BE(bytes);
  return libc.call(fd, SOL_SOCKET, SO_SNDBUF, value, 4) === 0
    ? { ok: true }
    : { ok: false, error: `setsockopt: ${errnoName(libc.errno())}` };
}
