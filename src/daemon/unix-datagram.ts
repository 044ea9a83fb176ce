import { endianness } from 'node:os';
import { errnoName } from '../describe-error.js';
import { libc } from '../libc.js';

/** A connectionless AF_UNIX datagram sender, which node:dgram and node:net do not offer. */
export interface UnixDatagramSender {
  /** Sends one datagram without blocking; an error is a short reason such as "ENOENT". */
  send(message: string): { ok: true } | { ok: false; error: string };
  close(): void;
}

const AF_UNIX = 1;
// Linux values on x86, ARM and arm64 alike (they differ only on MIPS, SPARC, Alpha)
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

/**
 * Opens a datagram socket towards `path` (`@name` is Linux's abstract namespace) by calling libc
 * through koffi (src/libc.ts).
 */
export function openUnixDatagram(path: string): { ok: true; sender: UnixDatagramSender } | { ok: false; error: string } {
  const address = socketAddress(path);
  if (!address.ok) return address;
  const c = libc();
  if (!c.ok) return c;
  const { koffi, library } = c;
  const socket = library.func('int socket(int domain, int type, int protocol)');
  const sendto = library.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
  const close = library.func('int close(int fd)');
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) return { ok: false, error: `socket: ${errnoName(koffi.errno())}` };
  let open = true;
  return {
    ok: true,
    sender: {
      send(message) {
        if (!open) return { ok: false, error: 'closed' };
        const bytes = Buffer.from(message, 'utf8');
        const sent = sendto(fd, bytes, bytes.length, MSG_DONTWAIT | MSG_NOSIGNAL, address.bytes, address.bytes.length) as number;
        return sent === bytes.length
          ? { ok: true }
          : { ok: false, error: sent < 0 ? errnoName(koffi.errno()) : `short write ${sent}/${bytes.length}` };
      },
      close() {
        if (!open) return;
        open = false;
        close(fd);
      },
    },
  };
}

/** struct sockaddr_un for a path or an `@abstract` name, exactly as long as the name needs. */
function socketAddress(path: string): { ok: true; bytes: Buffer } | { ok: false; error: string } {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path, 'utf8');
  // a path needs its NUL; an abstract name starts with one and has none at the end
  const pathBytes = name.length + 1;
  if (name.length === 0 || pathBytes > SUN_PATH_MAX) return { ok: false, error: `not a usable socket address: "${path}"` };
  const bytes = Buffer.alloc(2 + pathBytes);
  if (endianness() === 'LE') bytes.writeUInt16LE(AF_UNIX, 0);
  else bytes.writeUInt16BE(AF_UNIX, 0);
  name.copy(bytes, abstract ? 3 : 2);
  return { ok: true, bytes };
}
