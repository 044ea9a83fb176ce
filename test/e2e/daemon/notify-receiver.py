"""Plays systemd's side of sd_notify: binds a unix datagram socket and prints what arrives.

usage: python3 notify-receiver.py SOCKET_PATH
Prints {"bound": true} once bound, then one JSON line per datagram: {"pid": sender pid from
SCM_CREDENTIALS (how systemd attributes a message to a unit), "at": monotonic seconds when it
arrived, "message": text}. Exits when its
parent dies or after MAX_SECONDS, so a failed test leaves nothing running.
"""
import json
import os
import socket
import struct
import sys
import time

MAX_SECONDS = 300


def main():
    path = sys.argv[1]
    parent = os.getppid()
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    receiver.bind(path)
    receiver.settimeout(0.5)
    print(json.dumps({'bound': True}), flush=True)
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline and os.getppid() == parent:
        try:
            message, ancillary, _flags, _address = receiver.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        pid = None
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack('=iII', data[:12])[0]
        at = time.monotonic()
        print(json.dumps({'pid': pid, 'at': at, 'message': message.decode('utf-8', 'replace')}), flush=True)


main()
