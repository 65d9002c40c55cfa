# Shared by the .ci scripts (sourced).

# The Debian release the project deploys (its OpenStack: 2025.1 Epoxy).
TARGET_RELEASE=13
TARGET_SUITE=trixie

# Debian's major release of this host ("12", "13"; a testing/sid host gives
# its codename, e.g. "forky").
host_release() {
  local v
  v=$(cat /etc/debian_version 2>/dev/null || echo unknown)
  echo "${v%%[./]*}"
}

# Does the functional tier run in the trixie root (.ci/trixie-root) rather
# than on the host?  On any host but Debian 13; FUNCTIONAL_IN_ROOT=1/0
# overrides.
functional_in_root() {
  case "${FUNCTIONAL_IN_ROOT:-}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  [ "$(host_release)" != "$TARGET_RELEASE" ]
}

# The package list, without comments.
functional_packages() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$(dirname "${BASH_SOURCE[0]}")/functional-packages"
}
