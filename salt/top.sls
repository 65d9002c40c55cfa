{#-
    Roles come from pillar (openstack:hosts:<minion id>:roles); a host may
    hold several.  Hosts outside the map get nothing from this tree.

    Read here from the raw pillar, not from the model: a highstate renders
    the top file before it syncs this extension's modules (Salt's
    call_highstate: get_top, top_matches, then load_dynamic's
    saltutil.sync_all), so a new host's first highstate has no
    openstack_pillar to call.  The rule is the model's own,
    openstack_pillar.host_roles (the secrets filter's): the entry a
    mapping, its roles a list, only its strings that are known roles count
    (tests/render/test_top_file.py holds the two together).
#}
{%- set os_pillar = pillar.get('openstack') %}
{%- set hosts = os_pillar.get('hosts') if os_pillar is mapping else none %}
{#- A host listed in the map always gets `common`, whose rendering validates
    the whole pillar (common/topology.jinja): a bad pillar, even a broken
    entry of this very host (no roles, unknown role), refuses the highstate
    with the key named before any state runs.  (Not validated here: Salt
    reports a top file that fails to render only as "No Top file ...
    matches found", without the reason.) #}
{%- set in_cloud = os_pillar is not none and (hosts is not mapping or grains['id'] in hosts) %}
{%- set entry = hosts.get(grains['id']) if hosts is mapping else none %}
{%- set roles = entry.get('roles') if entry is mapping else none %}
{%- set roles = roles | select('string') | list if roles is sequence and roles is not string
                                                   and roles is not mapping else [] %}
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
    - ovn.central
    - neutron.server
    - cinder
    - cloud.volume_types
    - tls_proxy
{%-   endif %}
{%-   if 'compute' in roles %}
    - glusterfs.server
    - glusterfs.admit
    - glusterfs.mount
    - libvirt
    - nova.compute
    - nova.migration
    - ovn.chassis
    - neutron.ovn_metadata
    - nova.enrol
{%-   endif %}
{%-   if 'gateway' in roles %}
    - ovn.gateway
    - gateway
    - nova.consoleproxy
    - horizon
{%-   endif %}
{%- else %}
base: {}
{%- endif %}
