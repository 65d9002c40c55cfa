include:
  - mariadb.package
  - mariadb.config
  - mariadb.service
