{#- The client side of the existing Ceph cluster of openstack:ceph, on a
    host that uses an rbd backend of cinder:backends (cinder.config on the
    controller, nova.compute.install on the computes include it): the
    packages, ceph.conf and the cephx user's keyring.  Nothing without an
    rbd backend.  Not a Ceph installer. #}
include:
  - ceph.package
  - ceph.config
  - ceph.keyring
