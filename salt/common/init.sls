# Base setup of every host: name resolution, time, OpenStack repositories
# and clients, the cloud's CA.
include:
  - common.hosts
  - common.package
  - common.service
  - common.ca
