{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- On the controller, by the openstack.retire orchestration (pillar
    compute: the compute to retire): its nova-compute is disabled and its
    servers live-migrate to the other computes.  Refused, with nothing
    changed, when a server is not running or the other computes lack the
    room (openstack_cloud.compute_drain); the orchestration first runs it
    in test mode for that. #}
{%- set host = pillar.get('compute') %}
{%- if host not in topo.computes %}

nova-drain-refused:
  test.fail_without_changes:
    - name: {{ ('not draining ' ~ host ~ ': pillar openstack:hosts does not list it with the compute role') | json }}
{%- else %}

nova-compute-drained:
  openstack_cloud.compute_drained:
    - name: {{ host | json }}
    - timeout: 600
{{- cloud_auth() }}
{%- endif %}
