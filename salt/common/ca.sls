{%- from "common/map.jinja" import common with context %}
{#- First: a pillar that does not validate is refused with the key named
    (and then gets no certificate from the master, so the check below would
    only hide why). #}
{%- from "common/topology.jinja" import topo with context %}
{#- The cloud's CA (the Salt master's, _modules/openstack_tls.py) in the
    system trust store, so that every client on the host (the openstack CLI,
    the services) trusts the certificates the CA issues.  The master's
    openstack_secrets ext_pillar hands it out (pillar openstack_tls). #}
{%- set tls = pillar.get('openstack_tls') %}
{%- if tls is not mapping or not tls.get('ca_cert') %}
{%-   set why = "pillar openstack_tls:ca_cert missing: the master's openstack_secrets "
                ~ "ext_pillar gives it to every host of openstack:hosts "
                ~ "(README, \"Deploying on real hosts\")" %}
{{ raise(why) }}
{%- endif %}
include:
  - common.package

common-ca-certificate:
  file.managed:
    - name: {{ common.ca.file }}
    - contents: {{ tls.ca_cert | json }}
    - user: root
    - group: root
    - mode: '0644'
    - makedirs: true
    - require:
      - pkg: common-packages

# Rebuilds the bundle whenever it does not hold the CA (a first run that
# failed here is done by the next one, not only after a change).
common-ca-trust:
  cmd.run:
    - name: {{ common.ca.rebuild }}
    - unless: openssl verify -CAfile {{ common.ca.bundle }} {{ common.ca.file }}
    - require:
      - file: common-ca-certificate
