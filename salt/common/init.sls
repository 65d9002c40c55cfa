# Base setup of every host: name resolution, time, OpenStack repositories
# and clients.
include:
  - common.hosts
  - common.package
  - common.service
