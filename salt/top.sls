{#-
    Roles come from pillar (openstack:hosts:<minion id>:roles); a host may
    hold several.  Hosts outside the map get nothing from this tree.
#}
{%- set os_pillar = pillar.get('openstack') %}
{%- set hosts = os_pillar.get('hosts') if os_pillar is mapping else none %}
{#- A bad pillar refuses the highstate here, naming the key, when the
    validator is loaded (pip-installed extension, or synced by an earlier
    run); on a first highstate it is synced after the top file, and every
    formula refuses the bad pillar while rendering, before any state runs.
    A host listed in the map always gets `common`, so that a host with a
    broken entry (no roles, unknown role) is refused rather than skipped. #}
{%- if os_pillar is not none and 'openstack_pillar.validate' in salt %}
{%-   do salt['openstack_pillar.validate']() %}
{%- endif %}
{%- set in_cloud = os_pillar is not none and (hosts is not mapping or grains['id'] in hosts) %}
{%- set entry = hosts.get(grains['id']) if hosts is mapping else none %}
{%- set roles = entry.get('roles') if entry is mapping else none %}
{%- set roles = roles if roles is iterable and roles is not string else [] %}
{%- if in_cloud %}
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
