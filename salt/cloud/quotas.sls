{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- openstack:quotas, validated: per project, the listed Nova and Neutron
    limits (-1: unlimited); limits not listed keep the services' defaults.
    Nothing is included: the orchestration runs this once Nova and Neutron
    answer (with the other cloud resources). #}
{%- for project, limits in topo.quotas | dictsort %}

{{ ('cloud-quota-' ~ project) | json }}:
  openstack_cloud.quota_present:
    - name: {{ project | json }}
{%-   for key, value in limits | dictsort %}
    - {{ key }}: {{ value }}
{%-   endfor %}
{{- cloud_auth() }}
{%- endfor %}
