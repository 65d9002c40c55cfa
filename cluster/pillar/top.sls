# Pillar top of the Vagrant test cluster (cluster/salt/master.conf puts
# /vagrant/cluster/pillar before /vagrant/pillar in pillar_roots, so this top
# file is the one used): the example pillar, then the cluster's overrides,
# merged over it, then a phase's overlay (overlay.sls: empty but in the
# drift phase).  Only through the master's per-role secrets filter (see
# pillar/top.sls).
{%- do salt['openstack_pillar.secrets_filter_ready']() %}
base:
  '*':
    - openstack
    - cluster
    - overlay
