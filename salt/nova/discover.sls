{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
# Runs on the controller.  A compute is mapped into cell1 once its
# nova-compute has registered its compute node: the host mappings are read
# first (nothing else runs when every compute is mapped), then discovery is
# repeated every 5 s, for at most 5 minutes, until every compute is
# (nova_manage.hosts_discovered with hosts).

nova-hosts-discovered:
  nova_manage.hosts_discovered:
    - name: cell1
    - hosts: {{ topo.computes | json }}
    - timeout: 300
    - interval: 5
    - config_file: {{ nova.config_file }}
