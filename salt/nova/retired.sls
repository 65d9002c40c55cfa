{%- from "nova/map.jinja" import nova with context %}
include:
  - nova.user

# Options that earlier versions of these formulas wrote and this Nova does
# not read (oslo.config ignores them without a word) or reads as deprecated
# for removal: nova.conf keeps only what takes effect.  Nothing to remove
# on a new host, nor on the second run.
nova-retired-options:
  openstack_config.absent:
    - name: {{ nova.config_file }}
    - settings: {{ nova.retired_options | json }}
    - require:
      - file: nova-config-dir
