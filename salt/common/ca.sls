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

{#- The CAs that signed the operator's certificates for public endpoints
    (the model's tls:public_cas: openstack:tls:public_ca, or an entry's own
    ca), trusted next to the cloud's: <public_prefix><n>.crt, one file each;
    files of CAs no longer given are removed. #}
{%- set public_dir, public_base = common.ca.public_prefix.rsplit('/', 1) %}
{%- set public_cas = [] %}
{%- set keep = [] %}
{%- for pem in topo.tls.public_cas %}
{%-   do public_cas.append(common.ca.public_prefix ~ loop.index ~ '.crt') %}
{%-   do keep.append((public_base ~ loop.index ~ '.crt') | regex_escape ~ '$') %}

common-public-ca-{{ loop.index }}:
  file.managed:
    - name: {{ public_cas[-1] | json }}
    - contents: {{ pem | json }}
    - user: root
    - group: root
    - mode: '0644'
    - makedirs: true
    - require:
      - pkg: common-packages
{%- endfor %}

common-public-ca-stale:
  file.tidied:
    - name: {{ public_dir | json }}
    - matches:
      - {{ (public_base | regex_escape ~ '[0-9]+\\.crt$') | json }}
    - exclude: {{ keep | json }}
    - require:
      - file: common-ca-certificate

# Rebuilds the bundle whenever it does not hold the CAs (a first run that
# failed here is done by the next one, not only after a change), or a CA
# file was removed.
common-ca-trust:
  cmd.run:
    - name: {{ common.ca.rebuild }}
    - unless: {{ (['openssl verify -CAfile ' ~ common.ca.bundle ~ ' ' ~ common.ca.file]
                  + public_cas | map('regex_replace', '^', 'openssl verify -partial_chain -CAfile '
                                                          ~ common.ca.bundle ~ ' ') | list)
                 | join(' && ') | json }}
    - require:
      - file: common-ca-certificate
{%- for path in public_cas %}
      - file: common-public-ca-{{ loop.index }}
{%- endfor %}

common-ca-untrust:
  cmd.run:
    - name: {{ common.ca.rebuild }}
    - onchanges:
      - file: common-public-ca-stale
