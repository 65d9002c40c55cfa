# The Debian release of the test cluster's machines and the archive they
# install from, in one place.  Sourced (bash) by cluster/run and
# cluster/build-box.sh.
#
#   DEBIAN_MIRROR           the archive (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR  security updates (default http://deb.debian.org/debian-security)

debian_suite=trixie
debian_mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debian_mirror=${debian_mirror%/}
debian_security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
debian_security_mirror=${debian_security_mirror%/}

# The box's apt sources (deb822, as a trixie install writes them): the
# release, its updates and its security suite (trixie-security).
debian_sources() {
  cat <<SRC
Types: deb
URIs: $debian_mirror
Suites: $debian_suite $debian_suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $debian_security_mirror
Suites: $debian_suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

# The index files every machine fetches first, one per suite of debian_sources.
debian_index_urls() {
  echo "$debian_mirror/dists/$debian_suite/InRelease" \
    "$debian_mirror/dists/$debian_suite-updates/InRelease" \
    "$debian_security_mirror/dists/$debian_suite-security/InRelease"
}
