# Pillar top of the Vagrant test cluster (cluster/provision-salt.sh puts
# /vagrant/cluster/pillar before /vagrant/pillar in pillar_roots, so this top
# file is the one used): the example pillar, then the cluster's overrides,
# merged over it.
base:
  '*':
    - openstack
    - cluster
