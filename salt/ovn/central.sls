{%- from "ovn/map.jinja" import ovn with context %}
{%- from "common/topology.jinja" import topo with context %}
# OVN's northbound and southbound databases and ovn-northd, on the
# controller; the databases listen on its management address only
# (neutron-server and every chassis connect there).
ovn-central-packages:
  pkg.installed:
    - pkgs: {{ ovn.central_packages | json }}

ovn-central-service:
  service.running:
    - name: {{ ovn.central_service }}
    - enable: true
    - watch:
      - pkg: ovn-central-packages
{%- for db, ctl in (('nb', 'ovn-nbctl'), ('sb', 'ovn-sbctl')) %}
{%-   set listen = topo.ovn[db ~ '_listen'] %}

ovn-{{ db }}-connection:
  cmd.run:
    - name: {{ ctl }} --timeout=30 set-connection {{ listen }}
    # get-connection prints the target last (ovn-sbctl puts the role first).
    - unless: test "$({{ ctl }} --timeout=30 get-connection | awk '{ print $NF }')" = {{ listen | yaml_dquote }}
    - require:
      - service: ovn-central-service
{%- endfor %}
