{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import me, authtoken with context %}
{%- set retired = dict(nova.retired_options) %}
{#- [keystone_authtoken] is the controller's alone (nova/settings.jinja):
    earlier versions wrote it on the computes' and gateways' nova.conf too,
    where nothing reads it. #}
{%- if 'controller' not in me.get('roles', []) %}
{%-   do retired.update({'keystone_authtoken': authtoken('nova', 'nova') | load_json | list | sort}) %}
{%- endif %}
include:
  - nova.user

# Options that earlier versions of these formulas wrote and this Nova does
# not read (oslo.config ignores them without a word) or reads as deprecated
# for removal: nova.conf keeps only what takes effect.  Nothing to remove
# on a new host, nor on the second run.
nova-retired-options:
  openstack_config.absent:
    - name: {{ nova.config_file }}
    - settings: {{ retired | json }}
    - require:
      - file: nova-config-dir
