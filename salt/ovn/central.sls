{%- from "ovn/map.jinja" import ovn with context %}
{%- from "ovn/macros.jinja" import ssl_table with context %}
{%- from "common/topology.jinja" import topo with context %}
# OVN's northbound and southbound databases and ovn-northd, on the
# controller; the databases listen on its management address only
# (neutron-server and every chassis connect there), over mutual TLS
# (pssl:, the model's nb_listen and sb_listen): they present the
# controller's certificate and take only clients presenting one from the
# cloud's CA (ovsdb-server asks every SSL peer for a certificate and
# verifies it against its CA).  ovn-northd and the formulas' own
# ovn-nbctl and ovn-sbctl use the local unix sockets.
include:
  - ovn.tls

ovn-central-packages:
  pkg.installed:
    - pkgs: {{ ovn.central_packages | json }}

ovn-central-service:
  service.running:
    - name: {{ ovn.central_service }}
    - enable: true
    - watch:
      - pkg: ovn-central-packages

# Debian's ovn-central is a oneshot unit that starts the two database
# servers and ovn-northd: it returns before a new database file is
# created and its socket listens, and ovn-nbctl/ovn-sbctl do not wait for
# a socket.  Wait here for both to answer: at most 180 s (each try may
# take up to 5 s per database when a socket accepts and does not answer;
# a loaded host can be slow to create them).
{%- set databases_answer = 'ovn-nbctl --timeout=5 get-connection >/dev/null 2>&1 && '
                           ~ 'ovn-sbctl --timeout=5 get-connection >/dev/null 2>&1' %}
ovn-central-databases:
  cmd.run:
    - name: >-
        timeout 180 sh -c 'until {{ databases_answer }}; do sleep 1; done' ||
        { echo "the OVN northbound and southbound databases did not answer within 180 s" >&2; exit 1; }
    - unless: {{ databases_answer }}
    - require:
      - service: ovn-central-service
{%- for db, ctl in (('nb', 'ovn-nbctl'), ('sb', 'ovn-sbctl')) %}
{%-   set listen = topo.ovn[db ~ '_listen'] %}
{{ ssl_table('ovn-' ~ db ~ '-ssl', ctl, [{'cmd': 'ovn-central-databases'}, {'sls': 'ovn.tls'}]) }}

ovn-{{ db }}-connection:
  cmd.run:
    - name: {{ ctl }} --timeout=30 set-connection {{ listen }}
    # get-connection prints the target last (ovn-sbctl puts the role first).
    - unless: test "$({{ ctl }} --timeout=30 get-connection | awk '{ print $NF }')" = {{ listen | yaml_dquote }}
    # The files first: a pssl: remote without them does not listen.
    - require:
      - cmd: ovn-{{ db }}-ssl
{%- endfor %}
