# Shared helpers for the scripts: idempotent installs on a Debian machine.
# shellcheck shell=bash

# apt_need PKG...: installs the Debian packages that are missing (quietly, once).
apt_need() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  if [ ! -f /tmp/.venuebox-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.venuebox-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm_ci DIR: installs a package folder's locked dependencies unless they are current.
npm_ci() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# build_viewer: builds viewer/dist when its sources are newer than the build.
build_viewer() {
  npm_ci viewer
  if [ ! -f viewer/dist/index.html ] || [ -n "$(find viewer/src viewer/index.html viewer/package-lock.json -newer viewer/dist/index.html 2>/dev/null | head -1)" ]; then
    (cd viewer && npm run --silent build)
  fi
}
