include:
  - glusterfs.server
  - glusterfs.mount
