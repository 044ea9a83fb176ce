#!/usr/bin/env bash
# Checks Dockerfile.armv7 without a Docker engine: every COPY source exists in the checkout and is not
# excluded by .dockerignore, and every COPY --from=build /src/PATH names a path `npm run build` made here.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dockerfile="$repo/Dockerfile.armv7"
problems=0

fail() {
  printf 'dockerfile-check: %s\n' "$*" >&2
  problems=$((problems + 1))
}

ignored() {
  local source="${1%/}" pattern
  while read -r pattern; do
    if [ -z "$pattern" ] || [ "${pattern:0:1}" = "#" ]; then continue; fi
    # shellcheck disable=SC2053 # the .dockerignore line is a glob pattern
    [[ "$source" == ${pattern%/} || "$source" == ${pattern%/}/* ]] && return 0
  done <"$repo/.dockerignore"
  return 1
}

# Continuation lines joined, so each instruction is one line.
joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile")
copies=0
while read -r instruction rest; do
  [ "${instruction^^}" = COPY ] || continue
  read -r -a words <<<"$rest"
  from=""
  sources=()
  for word in "${words[@]:0:${#words[@]}-1}"; do
    case "$word" in
      --from=*) from="${word#--from=}" ;;
      --*) ;;
      *) sources+=("$word") ;;
    esac
  done
  for source in "${sources[@]}"; do
    copies=$((copies + 1))
    if [ -n "$from" ]; then
      # The build stage's WORKDIR is /src, a copy of this checkout after npm run build.
      [ -e "$repo/${source#/src/}" ] || fail "COPY --from=$from $source: no ${source#/src/} after npm run build"
    elif [ ! -e "$repo/$source" ]; then
      fail "COPY $source: no such file in the checkout"
    elif ignored "$source"; then
      fail "COPY $source: excluded by .dockerignore"
    fi
  done
done <<<"$joined"

grep -q '^USER ' <<<"$joined" || fail "no USER: the image would run as root"
grep -q '^HEALTHCHECK .*/healthz' <<<"$joined" || fail "no HEALTHCHECK on /healthz"
[ "$problems" = 0 ] || exit 1
printf 'dockerfile-check: %d COPY sources present\n' "$copies"
