{%- from "common/topology.jinja" import topo with context %}
# Every host resolves every other by name: bricks, URLs and live migration
# use host names.
{%- for id, host in topo.hosts | dictsort %}

common-hosts-{{ id }}:
  host.only:
    - name: {{ host.address }}
    - hostnames:
      {%- if host.fqdn and host.fqdn != id %}
      - {{ host.fqdn }}
      {%- endif %}
      - {{ id }}
{%- endfor %}
