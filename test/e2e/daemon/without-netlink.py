"""Runs a command with netlink sockets refused (EAFNOSUPPORT), as systemd's RestrictAddressFamilies does.

usage: python3 without-netlink.py COMMAND [ARG...]
A seccomp filter makes socket(AF_NETLINK, ...) fail with errno 97; everything else is allowed.
"""
import ctypes
import os
import platform
import sys

AF_NETLINK = 16
EAFNOSUPPORT = 97
# (audit arch, socket syscall number) per machine
ARCHES = {'x86_64': (0xC000003E, 41), 'aarch64': (0xC00000B7, 198)}
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
# offsets in struct seccomp_data: nr, arch, then args[0] (low word, little-endian)
NR, ARCH, ARG0 = 0, 4, 16


class SockFilter(ctypes.Structure):
    _fields_ = [('code', ctypes.c_uint16), ('jt', ctypes.c_uint8), ('jf', ctypes.c_uint8), ('k', ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.POINTER(SockFilter))]


def main():
    if platform.machine() not in ARCHES:
        sys.exit(f'without-netlink: no seccomp table for {platform.machine()}')
    arch, socket_nr = ARCHES[platform.machine()]
    program = [
        (LD_W_ABS, 0, 0, ARCH),
        (JEQ_K, 0, 5, arch),
        (LD_W_ABS, 0, 0, NR),
        (JEQ_K, 0, 3, socket_nr),
        (LD_W_ABS, 0, 0, ARG0),
        (JEQ_K, 0, 1, AF_NETLINK),
        (RET_K, 0, 0, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
        (RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    filters = (SockFilter * len(program))(*(SockFilter(*op) for op in program))
    fprog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit(f'without-netlink: PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}')
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit(f'without-netlink: PR_SET_SECCOMP: {os.strerror(ctypes.get_errno())}')
    os.execvp(sys.argv[1], sys.argv[1:])


main()
