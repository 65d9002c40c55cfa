{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
# The last step of the orchestration, on the controller: the guide's
# verification, read-only, over the APIs with one login
# (openstack_cloud.healthy).  The admin logs in, the catalog lists every
# service, every compute's nova-compute is up and no compute service is
# down, the network agents are alive and Glance lists its images.  It
# never reports a change; a failed check fails the state with what is
# wrong.  Nothing is included: it runs after the controller's states.

cloud-verify:
  openstack_cloud.healthy:
    - service_types: [identity, image, placement, compute, network, volumev3]
    - computes: {{ topo.computes | json }}
{{- cloud_auth() }}
