include:
  - placement.db
  - placement.package
  - placement.config
  - placement.service
