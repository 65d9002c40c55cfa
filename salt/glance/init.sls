include:
  - glance.db
  - glance.package
  - glance.config
  - glance.service
