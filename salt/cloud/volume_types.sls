{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- from "cinder/map.jinja" import cinder with context %}
{#- A Cinder volume type per backend of openstack:cinder:backends, named by
    its volume_type (default: the backend's name), public, with the extra
    spec volume_backend_name = the model's backend_name (the backend's name;
    LVM for the default lvm backend): cinder.conf gives each
    backend's section that volume_backend_name (cinder.config), so a volume
    of the type goes to that backend.  A drifted extra spec or visibility
    is corrected in place; other extra specs are kept.
    cinder.conf's default_volume_type names one of these types, and Cinder
    refuses a volume without a type, and any type's deletion, while that
    type is missing: so they are made right after cinder-api (re)starts, in
    the controller's own step and highstate (top.sls), not in the later
    resources step.  They need the catalog and Cinder's service user
    (keystone.identity) and Cinder's API serving. #}
include:
  - keystone.identity
  - cinder
{%- for backend in topo.cinder.backends %}

{{ ('cloud-volume-type-' ~ backend.volume_type) | json }}:
  openstack_cloud.volume_type_present:
    - name: {{ backend.volume_type | json }}
    - public: true
    - extra_specs: {{ {'volume_backend_name': backend.backend_name} | json }}
{{- cloud_auth() }}
    - require:
      - service: {{ ('cinder-service-' ~ cinder.services[0]) | json }}
      - keystone_init: keystone-identity
{%- endfor %}
