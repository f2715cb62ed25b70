# shellcheck shell=bash
# Idempotent apt helpers shared by the test scripts (sourced, not executed).

# Installs the given Debian packages unless all of them are already installed.
apt_ensure() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "apt: installing ${missing[*]}"
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Same, from bookworm-backports (added as a source when absent).
apt_ensure_backports() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    apt_add_backports
    echo "apt: installing ${missing[*]} from bookworm-backports"
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -t bookworm-backports "${missing[@]}"
}

# Adds bookworm-backports to the apt sources if no source names it yet.
apt_add_backports() {
    if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        return 0
    fi
    cat >/etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    APT_UPDATED=""
}

# Runs `apt-get update` at most once per script run (again after a source was added).
apt_update_once() {
    if [ -z "${APT_UPDATED:-}" ]; then
        apt-get update -q
        APT_UPDATED=1
    fi
}
