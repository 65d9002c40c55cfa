{#-
    Roles come from pillar (openstack:hosts:<minion id>:roles); a host may
    hold several.  Hosts outside the map get nothing from this tree.
#}
{%- set hosts = pillar.get('openstack', {}).get('hosts', {}) %}
{%- set roles = hosts.get(grains['id'], {}).get('roles', []) %}
{%- if roles %}
base:
  '{{ grains['id'] }}':
    - common
    - firewall
{%-   if 'controller' in roles %}
    - mariadb
    - rabbitmq
    - memcached
    - keystone
    - glance
    - placement
    - nova.controller
    - neutron.server
    - cinder
{%-   endif %}
{%-   if 'compute' in roles %}
    - glusterfs.server
    - glusterfs.mount
    - libvirt
    - nova.compute
    - nova.migration
    - neutron.linuxbridge
    - nova.enrol
{%-   endif %}
{%-   if 'gateway' in roles %}
    - gateway
    - neutron.network_node
    - nova.consoleproxy
    - horizon
{%-   endif %}
{%- else %}
base: {}
{%- endif %}
