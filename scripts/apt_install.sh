# Sourced by the scripts/ensure_*.sh scripts: install Debian packages with apt-get without ever
# failing the build.
#
#   apt_install TAG WHAT CONSEQUENCE PACKAGE...
#
# installs PACKAGE... (as root, or through passwordless sudo) and returns 0, or says on stderr why
# it could not ("TAG: WHAT is missing and ...; CONSEQUENCE") and returns 1.
apt_install() {
  local tag=$1 what=$2 consequence=$3
  shift 3
  local sudo="" log
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$tag: $what is missing and apt-get is unavailable; $consequence" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "$tag: $what is missing and this user cannot run apt-get as root; $consequence" >&2
      return 1
    fi
  fi
  log="$(mktemp -t "$tag.XXXXXX.log")"
  local opts=(-q -y -o Dpkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
  if DEBIAN_FRONTEND=noninteractive $sudo apt-get "${opts[@]}" update >"$log" 2>&1 \
    && DEBIAN_FRONTEND=noninteractive $sudo apt-get "${opts[@]}" install --no-install-recommends "$@" >>"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  echo "$tag: could not install $* with apt-get (last lines of $log below); $consequence" >&2
  tail -n 5 "$log" >&2
  return 1
}
