#!/usr/bin/env bash
# Runs scripts/install.sh as on a board (no --root), inside a private mount namespace whose /etc, /opt,
# /usr/local and /var/lib are overlays on a temporary directory: the real useradd, chgrp and file modes,
# with stand-ins for apt-get, systemctl and journalctl (there is no systemd here). The stand-in
# `systemctl restart` runs the installed unit's ExecStart as the unit's user on 127.0.0.1, so the viewer
# URL the installer prints must carry the token that daemon made. Nothing outside the temporary directory
# changes. Needs root, unshare and overlayfs.
set -euo pipefail

readonly START_SECONDS=90

say() { printf 'board-install-check: %s\n' "$*"; }
fail() {
  printf 'board-install-check: FAIL: %s\n' "$*" >&2
  exit 1
}

if [ "${1:-}" != --inside ]; then
  [ "$(id -u)" = 0 ] || fail "needs root (for useradd and mounts inside its own namespace)"
  work=$(mktemp -d -t wscam-board-install.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  unshare --mount --propagation private "$0" --inside "$work"
  exit
fi

readonly WORK="$2"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$WORK/bin"
pid_file="$WORK/daemon.pid"

stop_daemon() {
  [ -f "$pid_file" ] || return 0
  local pid waited=0
  pid=$(cat "$pid_file")
  rm -f "$pid_file"
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
}
trap stop_daemon EXIT

for dir in /etc /opt /usr/local /var/lib; do
  layer="$WORK/layers${dir//\//_}"
  mkdir -p "$layer/upper" "$layer/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" "$dir"
done

mkdir -p "$bin"
cat >"$bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$WORK/apt.log"
EOF
cat >"$bin/journalctl" <<'EOF'
#!/bin/sh
exit 0
EOF
# systemctl: restart runs ExecStart as User= with the unit's StateDirectory, and waits for "listening" as
# Type=notify waits for READY=1; stop and disable --now end it.
cat >"$bin/systemctl" <<EOF
#!/usr/bin/env bash
set -euo pipefail
unit=/etc/systemd/system/wscam.service
echo "systemctl \$*" >>"$WORK/systemctl.log"
stop() {
  [ -f "$pid_file" ] || return 0
  kill -TERM "\$(cat "$pid_file")" 2>/dev/null || true
  rm -f "$pid_file"
}
case "\$*" in
  restart*)
    stop
    user=\$(sed -n 's/^User=//p' "\$unit")
    read -r -a command <<<"\$(sed -n 's/^ExecStart=//p' "\$unit")"
    install -d -m 0700 -o "\$user" -g "\$user" /var/lib/wscam
    : >"$WORK/daemon.log"
    setpriv --reuid="\$user" --regid="\$user" --init-groups env STATE_DIRECTORY=/var/lib/wscam \
      "\${command[@]}" --host 127.0.0.1 --port 0 >"$WORK/daemon.log" 2>&1 &
    echo \$! >"$pid_file"
    for _ in \$(seq 1 $((START_SECONDS * 2))); do
      grep -q '"msg":"listening"' "$WORK/daemon.log" && exit 0
      kill -0 "\$(cat "$pid_file")" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
      sleep 0.5
    done
    exit 1
    ;;
  stop* | "disable --now"*) stop ;;
esac
EOF
chmod +x "$bin"/*
export PATH="$bin:$PATH"

say "install.sh as root on a board"
output=$("$repo/scripts/install.sh" 2>&1) || {
  echo "$output" >&2
  fail "install.sh failed"
}
echo "$output"
grep -qx 'apt-get install -y --no-install-recommends ffmpeg' "$WORK/apt.log" || fail "ffmpeg was not installed with apt-get"
id -nG wscam | tr ' ' '\n' | grep -qx video || fail "user wscam is not in group video"
id -nG wscam | tr ' ' '\n' | grep -qx audio || fail "user wscam is not in group audio"
[ "$(stat -c '%a %U %G' /etc/wscam/config.json)" = "640 root wscam" ] || fail "config.json is not 0640 root:wscam"
[ "$(stat -c '%U %a' /var/lib/wscam/first-run-token)" = "wscam 600" ] || fail "the daemon (as wscam) made no private first-run token"
token=$(tr -d '[:space:]' </var/lib/wscam/first-run-token)
grep -q "open the viewer: http://.*:8080/?token=$token\$" <<<"$output" || fail "the printed viewer URL lacks the daemon's token"

say "the running daemon (user wscam, reading the 0640 config) accepts that token"
port=$(grep '"msg":"listening"' "$WORK/daemon.log" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -n 1)
port=${port##*:}
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
  fetch(`http://127.0.0.1:${process.argv[1]}/api/session`, { headers: { authorization: `Bearer ${process.argv[2]}` } })
    .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
' "$port" "$token" || fail "GET /api/session with the first-run token was not 200"
[ "$(wscam check-config /etc/wscam/config.json)" = ok ] || fail "wscam on PATH does not accept the config"

say "second run: same files, same token"
snapshot() { find /opt/wscam /etc/wscam /etc/systemd/system/wscam.service /usr/local/bin/wscam -printf '%p %s %m %U %G %T@\n' | sort; }
before=$(snapshot)
output=$("$repo/scripts/install.sh" 2>&1) || {
  echo "$output" >&2
  fail "the second install.sh failed"
}
[ "$(snapshot)" = "$before" ] || fail "the second run changed installed files"
grep -q "open the viewer: http://.*:8080/?token=$token\$" <<<"$output" || fail "the second run printed another token"

say "--uninstall --purge stops the service and removes files, config, state and the user"
"$repo/scripts/install.sh" --uninstall --purge
[ ! -f "$pid_file" ] || fail "the daemon is still running"
for gone in /opt/wscam /usr/local/bin/wscam /etc/systemd/system/wscam.service /etc/wscam /var/lib/wscam; do
  [ ! -e "$gone" ] || fail "--purge left $gone"
done
if id wscam >/dev/null 2>&1; then fail "--purge left the user wscam"; fi
say "passed"
