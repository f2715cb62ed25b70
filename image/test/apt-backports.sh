# shellcheck shell=bash
# apt_need_backports PKG...: like scripts/lib.sh's apt_need, from bookworm-backports (the source
# is added when no apt source names it). qemu-system from bookworm conflicts with the qemu-utils
# from backports that these machines come with, so QEMU comes from backports too.
apt_need_backports() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
      >/etc/apt/sources.list.d/bookworm-backports.sources
  fi
  echo "installing from bookworm-backports: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports "${missing[@]}" >/dev/null
}
