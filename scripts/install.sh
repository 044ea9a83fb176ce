#!/usr/bin/env bash
# Installs wscam from this checkout on a Debian-family board (Raspberry Pi OS, Debian, Ubuntu; armv7, arm64, x86).
#   sudo scripts/install.sh                      install or update, start the service, print the viewer URL
#   scripts/install.sh --root DIR                install into DIR only: no apt, no user, no systemctl (tests, images)
#   sudo scripts/install.sh --uninstall [--purge] remove wscam; --purge also removes its config, state and user
# Safe to run again: files are refreshed, /etc/wscam/config.json is never overwritten.
set -euo pipefail
umask 022

readonly MIN_NODE_MAJOR=20
readonly APP_DIR=/opt/wscam
readonly CONFIG_DIR=/etc/wscam
readonly STATE_DIR=/var/lib/wscam
readonly UNIT_FILE=/etc/systemd/system/wscam.service
readonly COMMAND_FILE=/usr/local/bin/wscam
readonly SERVICE_USER=wscam
# The unit in the repo names Debian's node; the installer writes the one it found instead.
readonly UNIT_NODE=/usr/bin/node
readonly FIRST_START_SECONDS=120

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=""
mode=install
purge=false

say() { printf 'wscam install: %s\n' "$*"; }
die() {
  printf 'wscam install: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

parse_args() {
  local given="$*"
  while [ $# -gt 0 ]; do
    case "$1" in
      --root)
        [ $# -ge 2 ] || die "--root needs a directory"
        root=$(mkdir -p "$2" && cd "$2" && pwd)
        shift
        ;;
      --uninstall) mode=uninstall ;;
      --purge) purge=true ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        exit 2
        ;;
    esac
    shift
  done
  if $purge && [ "$mode" != uninstall ]; then die "--purge goes with --uninstall"; fi
  if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo $0 $given), or with --root DIR"; fi
}

on_board() { [ -z "$root" ]; }

# --- Node.js -------------------------------------------------------------------------------------------

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null; }

apt_node_major() {
  apt-cache policy nodejs 2>/dev/null | sed -nE 's/^ *Candidate: ([0-9]+:)?([0-9]+)\..*/\2/p' | head -n 1
}

explain_node() {
  local found="$1" arch apt_major
  arch=$(uname -m)
  apt_major=$(apt_node_major || true)
  echo "wscam needs Node.js $MIN_NODE_MAJOR or newer with npm; found: $found."
  if [ -n "$apt_major" ] && [ "$apt_major" -ge "$MIN_NODE_MAJOR" ]; then
    echo "apt here offers Node.js $apt_major (as Debian 13 and Raspberry Pi OS on trixie do):"
    echo "  sudo apt-get install nodejs npm"
  elif [ "$arch" = armv6l ]; then
    echo "This is an armv6 board (Pi 1, Zero, Zero W): Node.js $MIN_NODE_MAJOR has no official build for it."
    echo "Use an armv7 or arm64 board (Pi 2 or newer, Zero 2 W), or an unofficial armv6 build of Node.js."
  else
    echo "apt here offers Node.js ${apt_major:-none} (releases before Debian 13 have an older one). Either:"
    echo "  - NodeSource's apt repository for Node.js 22 (or 20): add it as its setup_22.x script does,"
    echo "    then: sudo apt-get install nodejs     (npm comes with it)"
    echo "  - or the official tarball from nodejs.org for this CPU ($(node_tarball_arch "$arch")):"
    echo "    sudo tar -xJf node-v22.*-linux-$(node_tarball_arch "$arch").tar.xz -C /usr/local --strip-components=1"
  fi
  echo "Then run this script again."
}

node_tarball_arch() {
  case "$1" in
    armv7l) echo armv7l ;;
    aarch64 | arm64) echo arm64 ;;
    x86_64 | amd64) echo x64 ;;
    *) echo "$1" ;;
  esac
}

find_node() {
  local node major
  node=$(command -v node || true)
  if [ -z "$node" ]; then
    explain_node none >&2
    exit 1
  fi
  node=$(readlink -f "$node")
  major=$(node_major "$node" || true)
  if [ -z "$major" ] || [ "$major" -lt "$MIN_NODE_MAJOR" ]; then
    explain_node "$("$node" --version 2>/dev/null || echo "$node") at $node" >&2
    exit 1
  fi
  # The unit has ProtectHome=yes: a node under /home or /root (nvm, a user's tarball) is invisible to the service.
  case "$node" in
    /home/* | /root/*)
      explain_node "$("$node" --version) at $node, inside a home directory the service cannot see" >&2
      exit 1
      ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    explain_node "$("$node" --version) without npm" >&2
    exit 1
  fi
  echo "$node"
}

# --- packages --------------------------------------------------------------------------------------------

apt_has() { apt-cache policy "$1" 2>/dev/null | sed -nE 's/^ *Candidate: (.*)/\1/p' | grep -qv '(none)'; }

install_packages() {
  local packages=(ffmpeg) camera_package
  if "$src/scripts/detect-board.sh" pi-camera && ! command -v rpicam-vid >/dev/null && ! command -v libcamera-vid >/dev/null; then
    # The -lite builds have no preview window (Raspberry Pi OS Lite); libcamera-apps is the name before 2023.
    for camera_package in rpicam-apps-lite rpicam-apps libcamera-apps-lite libcamera-apps; do
      if apt_has "$camera_package"; then
        packages+=("$camera_package")
        break
      fi
    done
  fi
  say "apt-get install ${packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null ||
    die "apt-get install ${packages[*]} failed (run 'sudo apt-get update' first?)"
}

# --- files -----------------------------------------------------------------------------------------------

# Builds when dist/ is missing or older than the sources (e.g. after a git pull).
build_checkout() {
  local built="$src/dist/main.js"
  if [ -f "$built" ] && [ -f "$src/dist/web/index.html" ] &&
    [ -z "$(find "$src/src" "$src/web" "$src/package-lock.json" -newer "$built" -not -path '*/web/dist/*' -print -quit)" ]; then
    return 0
  fi
  say "dist/ is missing or older than the sources: building the checkout (npm ci && npm run build)"
  (cd "$src" && npm ci --ignore-scripts --no-audit --no-fund && npm run build) || die "build failed"
}

# Copies the daemon, viewer, config schema and docs; production dependencies are reinstalled only when the lockfile changed.
# --ignore-scripts: package.json allowScripts denies every install script, which npm before 11.16 would still run.
install_app() {
  local app="$root$APP_DIR" item
  mkdir -p "$app"
  for item in dist config package.json README.md; do
    if [ -e "$app/$item" ] && diff -rq "$src/$item" "$app/$item" >/dev/null 2>&1; then continue; fi
    rm -rf "${app:?}/$item"
    cp -R "$src/$item" "$app/$item"
    say "copied $item to $APP_DIR"
  done
  if [ -d "$app/node_modules" ] && cmp -s "$src/package-lock.json" "$app/package-lock.json"; then
    say "$APP_DIR/node_modules is current"
    return 0
  fi
  cp "$src/package-lock.json" "$app/package-lock.json"
  say "npm ci --omit=dev in $APP_DIR"
  (cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci --omit=dev failed in $app"
}

install_command() {
  local node="$1" target="$root$COMMAND_FILE" wanted
  # The path of this file, less its own suffix, is the install root: / on a board, DIR for --root DIR.
  wanted=$(
    cat <<EOF
#!/bin/sh
# wscam (installed by scripts/install.sh): the daemon and its commands, run with the node found at install.
self=\$(readlink -f "\$0")
exec $node "\${self%$COMMAND_FILE}$APP_DIR/dist/main.js" "\$@"
EOF
  )
  write_if_changed "$target" "$wanted" 0755
}

install_unit() {
  local node="$1" wanted
  wanted=$(sed "s#^ExecStart=$UNIT_NODE #ExecStart=$node #" "$src/systemd/wscam.service")
  write_if_changed "$root$UNIT_FILE" "$wanted" 0644
}

# Writes a file only when its text differs, so a second run leaves it untouched.
write_if_changed() {
  local target="$1" text="$2" file_mode="$3"
  if [ -f "$target" ] && [ "$(cat "$target")" = "$text" ]; then
    chmod "$file_mode" "$target"
    return 0
  fi
  mkdir -p "$(dirname "$target")"
  printf '%s\n' "$text" >"$target.new"
  chmod "$file_mode" "$target.new"
  mv "$target.new" "$target"
  say "wrote ${target#"$root"}"
}

write_config() {
  local config="$root$CONFIG_DIR/config.json"
  mkdir -p "$root$CONFIG_DIR"
  if [ -e "$config" ]; then
    say "keeping $CONFIG_DIR/config.json"
    return 0
  fi
  "$src/scripts/detect-board.sh" config >"$config.new"
  # Readable by the service's group only: it will hold password hashes and tokens.
  chmod 0640 "$config.new"
  if on_board; then chgrp "$SERVICE_USER" "$config.new"; fi
  mv "$config.new" "$config"
  say "wrote $CONFIG_DIR/config.json: $(grep -o '"source": "[a-z0-9]*"' "$config" | head -n 1)"
}

create_user() {
  if id "$SERVICE_USER" >/dev/null 2>&1; then
    usermod --append --groups video,audio "$SERVICE_USER"
    return 0
  fi
  say "creating system user $SERVICE_USER (groups video, audio)"
  useradd --system --user-group --groups video,audio --home-dir "$STATE_DIR" --no-create-home \
    --shell /usr/sbin/nologin "$SERVICE_USER"
}

# --- service ---------------------------------------------------------------------------------------------

start_service() {
  systemctl daemon-reload
  systemctl enable wscam.service >/dev/null 2>&1
  say "systemctl restart wscam"
  systemctl restart wscam.service || {
    journalctl -u wscam.service -n 20 --no-pager >&2 || true
    die "wscam did not start; see: journalctl -u wscam"
  }
}

config_value() { "$1" -e "const c = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); console.log($2)" "$root$CONFIG_DIR/config.json"; }

print_viewer_url() {
  local node="$1" port scheme host token_file="$STATE_DIR/first-run-token" waited=0
  port=$(config_value "$node" 'c.server?.port ?? 8080')
  scheme=$(config_value "$node" 'c.server?.tls ? "https" : "http"')
  host=$(hostname -I 2>/dev/null | awk '{print $1}')
  [ -n "$host" ] || host=$(hostname)
  if [ "$(config_value "$node" '(c.auth?.users?.length ?? 0) + (c.auth?.tokens?.length ?? 0) + (c.auth?.disabled ? 1 : 0)')" != 0 ]; then
    say "open $scheme://$host:$port/ and log in as configured in $CONFIG_DIR/config.json"
    return 0
  fi
  # The daemon makes the first-run token on its first start.
  while [ ! -s "$token_file" ] && [ "$waited" -lt "$FIRST_START_SECONDS" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if [ ! -s "$token_file" ]; then
    say "no first-run token after ${FIRST_START_SECONDS}s; the URL is in: journalctl -u wscam | grep 'open the viewer'"
    return 0
  fi
  say "open the viewer: $scheme://$host:$port/?token=$(tr -d '[:space:]' <"$token_file")"
}

# --- uninstall -------------------------------------------------------------------------------------------

uninstall() {
  if on_board && [ -f "$UNIT_FILE" ]; then
    systemctl disable --now wscam.service >/dev/null 2>&1 || true
  fi
  rm -rf "$root$APP_DIR"
  rm -f "$root$UNIT_FILE" "$root$COMMAND_FILE"
  if on_board; then systemctl daemon-reload; fi
  say "removed $APP_DIR, $COMMAND_FILE and the unit"
  if ! $purge; then
    say "kept $CONFIG_DIR and $STATE_DIR (--purge removes them and the $SERVICE_USER user)"
    return 0
  fi
  rm -rf "$root$CONFIG_DIR" "$root$STATE_DIR"
  say "removed $CONFIG_DIR and $STATE_DIR"
  if on_board && id "$SERVICE_USER" >/dev/null 2>&1; then
    userdel "$SERVICE_USER"
    say "removed the $SERVICE_USER user"
  fi
}

main() {
  parse_args "$@"
  if [ "$mode" = uninstall ]; then
    uninstall
    return 0
  fi
  local node
  node=$(find_node)
  say "using $("$node" --version) at $node$([ -n "$root" ] && echo ", installing into $root")"
  if on_board; then install_packages; fi
  build_checkout
  install_app
  install_command "$node"
  if on_board; then create_user; fi
  write_config
  install_unit "$node"
  if on_board; then
    start_service
    print_viewer_url "$node"
  else
    say "installed into $root; on the board: systemctl enable --now wscam"
  fi
}

main "$@"
