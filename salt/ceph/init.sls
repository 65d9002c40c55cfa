# The client side of an existing Ceph cluster: see ceph.client.
include:
  - ceph.client
