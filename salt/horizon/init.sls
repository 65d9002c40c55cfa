include:
  - horizon.package
  - horizon.config
  - horizon.tls
  - horizon.service
