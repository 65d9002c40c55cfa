# Block storage on the controller: API, scheduler and an LVM backend
# exported over iSCSI.
include:
  - cinder.db
  - cinder.package
  - cinder.config
  - cinder.service
