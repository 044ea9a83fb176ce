#!/usr/bin/env bash
# Runs scripts/install.sh --root into a temporary root twice and checks what a board owner relies on:
# the second run changes no file (and keeps an edited config), the installed `wscam check-config` accepts
# the written config, the installed unit names this node and passes systemd-analyze verify, and
# --uninstall keeps config and state while --uninstall --purge removes them.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d -t wscam-install-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

say() { printf 'install-check: %s\n' "$*"; }
fail() {
  printf 'install-check: FAIL: %s\n' "$*" >&2
  exit 1
}

# Every path with its size, mode and mtime, and every file's digest: equal manifests mean nothing changed.
manifest() {
  (cd "$root" && find . -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

say "first run: install.sh --root"
"$repo/scripts/install.sh" --root "$root"
config="$root/etc/wscam/config.json"
[ -f "$config" ] || fail "no /etc/wscam/config.json written"

say "installed wscam check-config on the written config"
result=$("$root/usr/local/bin/wscam" check-config "$config") || fail "check-config rejected the written config: $result"
[ "$result" = ok ] || fail "check-config printed '$result', not ok"

say "the installed unit runs this node and passes systemd-analyze verify"
node=$(readlink -f "$(command -v node)")
grep -qx "ExecStart=$node /opt/wscam/dist/main.js --config /etc/wscam/config.json" "$root/etc/systemd/system/wscam.service" ||
  fail "the unit's ExecStart does not name $node"
systemd-analyze verify "$root/etc/systemd/system/wscam.service"

say "second run (with the owner's edit in the config): nothing changes"
sed -i 's/"port": 8080/"port": 8081/' "$config"
before="$work/before"
after="$work/after"
manifest >"$before"
"$repo/scripts/install.sh" --root "$root"
manifest >"$after"
if ! diff "$before" "$after"; then fail "the second run changed the files above"; fi
grep -q '"port": 8081' "$config" || fail "the second run rewrote the owner's config"

say "--uninstall keeps config and state"
mkdir -p "$root/var/lib/wscam" && echo kept >"$root/var/lib/wscam/first-run-token"
"$repo/scripts/install.sh" --root "$root" --uninstall
for gone in opt/wscam usr/local/bin/wscam etc/systemd/system/wscam.service; do
  [ ! -e "$root/$gone" ] || fail "--uninstall left /$gone"
done
if [ ! -f "$config" ] || [ ! -f "$root/var/lib/wscam/first-run-token" ]; then fail "--uninstall removed config or state"; fi

say "--uninstall --purge removes them"
"$repo/scripts/install.sh" --root "$root" --uninstall --purge
if [ -e "$root/etc/wscam" ] || [ -e "$root/var/lib/wscam" ]; then fail "--purge left /etc/wscam or /var/lib/wscam"; fi
say "passed"
