import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { errnoName } from '../describe-error.js';
import { libc } from '../libc.js';

/**
 * What a viewer's socket may hold in the kernel before Node sees backpressure. Linux autotunes the
 * send buffer up to net.ipv4.tcp_wmem's max (4 MiB on Debian and Raspberry Pi OS): seconds of MJPEG,
 * over a minute of H.264, that a viewer on a slow link would get ever later instead of skipping to
 * the newest frame. Linux doubles the value set; 256 KiB in flight still fills 100 Mbit/s at 20 ms RTT.
 */
export const VIEWER_SEND_BUFFER_BYTES = 128 * 1024;

/** The least a capped H.264 viewer socket gets (Linux doubles it): room for a keyframe of a small picture. */
const MIN_H264_SEND_BUFFER_BYTES = 32 * 1024;

/** An H.264 viewer's cap: half the hub's queue budget for it (the kernel doubles it), within the bounds above. */
export function h264SendBufferBytes(hubBudgetBytes: number): number {
  return Math.min(VIEWER_SEND_BUFFER_BYTES, Math.max(MIN_H264_SEND_BUFFER_BYTES, Math.ceil(hubBudgetBytes / 2)));
}

// Linux values on x86, ARM and arm64 alike (they differ only on MIPS, SPARC, Alpha)
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

type SetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number) => number;

let setsockopt: { ok: true; call: SetSockOpt; errno: () => number } | { ok: false; error: string } | undefined;

function loadSetSockOpt(): NonNullable<typeof setsockopt> {
  if (setsockopt !== undefined) return setsockopt;
  const c = libc();
  if (!c.ok) return (setsockopt = c);
  const call = c.library.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)') as SetSockOpt;
  return (setsockopt = { ok: true, call, errno: () => c.koffi.errno() });
}

/** Caps a connected socket's kernel send buffer at `bytes` (which also turns off Linux's autotuning for it). */
export function capSendBuffer(socket: Socket, bytes = VIEWER_SEND_BUFFER_BYTES): { ok: true } | { ok: false; error: string } {
  const setter = loadSetSockOpt();
  if (!setter.ok) return setter;
  // Node keeps the descriptor on the libuv handle (TCP, or TLSWrap over it); there is no public getter.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { ok: false, error: 'socket has no file descriptor' };
  const value = Buffer.alloc(4);
  if (endianness() === 'LE') value.writeInt32LE(bytes);
  else value.writeInt32BE(bytes);
  return setter.call(fd, SOL_SOCKET, SO_SNDBUF, value, 4) === 0
    ? { ok: true }
    : { ok: false, error: `setsockopt: ${errnoName(setter.errno())}` };
}
