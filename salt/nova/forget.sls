{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- On the controller, by the openstack.retire and openstack.replace
    orchestrations (pillar compute: the compute): Nova, placement and
    Neutron forget it (its nova-compute service record, resource provider
    and network agents; openstack_cloud.compute_absent).  Retire runs it
    once the compute is drained and its services stopped; replace (pillar
    replace: true) once the dead machine is reported down, and leaves a
    compute Nova reports up alone. #}
{%- set host = pillar.get('compute') %}
{%- if host not in topo.computes %}

nova-forget-refused:
  test.fail_without_changes:
    - name: {{ ('not forgetting ' ~ host ~ ': pillar openstack:hosts does not list it with the compute role') | json }}
{%- else %}

nova-compute-forgotten:
  openstack_cloud.compute_absent:
    - name: {{ host | json }}
    - only_if_down: {{ pillar.get('replace') is sameas true }}
{{- cloud_auth() }}
{%- endif %}
