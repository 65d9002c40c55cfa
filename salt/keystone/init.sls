include:
  - keystone.db
  - keystone.package
  - keystone.config
  - keystone.service
  - keystone.bootstrap
  - keystone.identity
