#!/bin/sh
# Installs everything berth needs on a Debian bookworm machine, builds it, puts
# `berth` and `berthd` on PATH and makes the busybox:latest image.
# Run as root. Safe to run again: every step either checks first or repeats harmlessly.
set -eu

repo=$(cd "$(dirname "$0")" && pwd -P)
cd "$repo"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (berthd mounts filesystems and creates namespaces)"
[ -r /etc/debian_version ] || die "this script is for Debian (bookworm); install the packages listed in it by hand elsewhere"

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends "$@"; }

# The OCI runtimes and monitor, the network stack, busybox for base images, and the
# small tools the engine and scripts call (ip, mount, setfattr, file, tar, zstd for
# zstd image layers, openssl for the TLS registry tests), tmux, which the terminal
# tests drive `berth run -it` through, and tini, whose static binary is the init
# that `run --init` mounts at /sbin/docker-init.
packages="crun runc conmon busybox-static iproute2 iptables netavark aardvark-dns \
attr file tar zstd openssl ca-certificates util-linux mount tmux skopeo apache2-utils tini"

say "apt-get update"
apt-get update -q >/dev/null
say "installing Debian packages: $packages"
# shellcheck disable=SC2086
apt_install $packages >/dev/null

# Node.js: the machines this runs on come with Node 20; Debian bookworm's own is 18,
# which lacks the test runner options and APIs berth uses.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "node or npm missing: installing Debian's nodejs and npm"
  apt_install nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "berth needs Node.js 20 or newer, found $(node --version); install Node 20 and run this again"

# The interop tests drive berthd with the stock docker CLI. Debian bookworm has no
# CLI-only package (docker-cli appears only in later releases), so the CLI comes from
# docker.io, which also ships dockerd. Its maintainer script starts dockerd through
# invoke-rc.d; a policy-rc.d that answers 101 (action forbidden) keeps it from doing
# so, and is put back as it was afterwards.
if command -v docker >/dev/null 2>&1; then
  say "docker CLI present: $(command -v docker)"
else
  say "installing the docker CLI (Debian's docker.io, without starting dockerd)"
  policy=/usr/sbin/policy-rc.d
  saved=
  if [ -e "$policy" ]; then saved=$policy.berth-saved; mv "$policy" "$saved"; fi
  restore_policy() {
    rm -f "$policy"
    if [ -n "$saved" ] && [ -e "$saved" ]; then mv "$saved" "$policy"; fi
  }
  trap restore_policy EXIT
  trap 'restore_policy; exit 130' INT TERM
  printf '#!/bin/sh\n# installed by berth install.sh while docker.io is configured\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  dockerd_before=$(pidof dockerd || true)
  apt_install docker.io >/dev/null
  restore_policy
  trap - EXIT INT TERM
  # Belt and braces: no dockerd may be left running because of this script.
  dockerd_after=$(pidof dockerd || true)
  if [ -n "$dockerd_after" ] && [ -z "$dockerd_before" ]; then
    say "stopping the dockerd the package started (pid $dockerd_after)"
    for pid in $dockerd_after; do kill "$pid" || true; done
  fi
  # Nor enabled at boot: the package registers its init script and systemd units.
  update-rc.d docker disable >/dev/null 2>&1 || true
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
  fi
  command -v docker >/dev/null 2>&1 || die "docker.io installed but no docker on PATH"
  say "docker CLI: $(docker --version)"
fi

# The pull/push tests run Debian's docker-registry on loopback, one per test with
# its own port and storage. The package's init script would start a registry on
# :5000 for everyone; the same policy-rc.d trick keeps it from starting, and it is
# disabled at boot.
if ! command -v docker-registry >/dev/null 2>&1; then
  say "installing docker-registry (without starting its service)"
  policy=/usr/sbin/policy-rc.d
  saved=
  if [ -e "$policy" ]; then saved=$policy.berth-saved; mv "$policy" "$saved"; fi
  restore_registry_policy() {
    rm -f "$policy"
    if [ -n "$saved" ] && [ -e "$saved" ]; then mv "$saved" "$policy"; fi
  }
  trap restore_registry_policy EXIT
  trap 'restore_registry_policy; exit 130' INT TERM
  printf '#!/bin/sh\n# installed by berth install.sh while docker-registry is configured\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  apt_install docker-registry >/dev/null
  restore_registry_policy
  trap - EXIT INT TERM
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/docker-registry ]; then /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
fi

# `npm install`, not `npm ci`: node-unix-socket names optional per-platform
# packages that the npm registry does not have for every platform, so the lock
# file cannot list them and `npm ci` refuses it. `npm install` follows the lock
# file for everything it does list (checked: it leaves the lock file unchanged).
say "npm install"
npm install --no-audit --no-fund --loglevel=error

say "npm run build"
npm run build --silent

for file in berth.cjs berthd.js; do
  [ -x "dist/$file" ] || die "dist/$file was not built"
  ln -sfn "$repo/dist/$file" "/usr/local/bin/${file%.*}"
done
say "linked /usr/local/bin/berth and /usr/local/bin/berthd to $repo/dist/"

# busybox:latest, made offline from busybox-static. berth starts berthd on the
# default socket when none answers there; the daemon then keeps running.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Output goes to files: an auto-started daemon must not hold this script's
# stdout open (a CI runner would wait for it to close).
if /usr/local/bin/berth image inspect --format '{{.Id}}' busybox:latest </dev/null >"$work/present" 2>"$work/inspect.log"; then
  say "busybox:latest is present: $(cat "$work/present")"
else
  grep -q 'No such' "$work/inspect.log" || { cat "$work/inspect.log" >&2; die "berth cannot reach its daemon"; }
  say "building the busybox rootfs"
  sh scripts/make-busybox-rootfs.sh "$work/busybox.tar"
  say "importing busybox:latest"
  if ! /usr/local/bin/berth import --change 'CMD ["sh"]' "$work/busybox.tar" busybox:latest \
      </dev/null >"$work/import.log" 2>&1; then
    cat "$work/import.log" >&2
    die "berth import failed"
  fi
  say "busybox:latest $(tail -n 1 "$work/import.log")"
fi
say "done: try 'berth run --rm busybox echo hello'"
