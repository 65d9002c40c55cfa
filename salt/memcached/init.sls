include:
  - memcached.package
  - memcached.config
  - memcached.service
