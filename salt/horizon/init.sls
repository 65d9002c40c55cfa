include:
  - horizon.package
  - horizon.config
  - horizon.service
