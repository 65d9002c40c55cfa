{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "neutron/map.jinja" import neutron with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- The admin project's security groups from openstack:security_groups
    (default: the guide's ICMP and SSH into the default group).  The listed
    rules are ensured; with remove_unlisted, the group's other rules are
    deleted (list Neutron's own egress and same-group rules to keep them). #}
include:
  - keystone.identity
  - neutron.server
{%- for name, group in topo.security_groups | dictsort %}

{{ ('cloud-security-group-' ~ name) | json }}:
  openstack_cloud.security_group_present:
    - name: {{ name | json }}
{%-   if group.description is not none %}
    - description: {{ group.description | json }}
{%-   endif %}
    - rules: {{ group.rules | json }}
    - remove_unlisted: {{ group.remove_unlisted | json }}
{{- cloud_auth() }}
    - require:
      - keystone_init: keystone-identity
      - service: neutron-server-service-{{ neutron.server_services[0] }}
{%-   for other in group.rules | map(attribute='remote_group') | reject('none') | unique
          if other != name and other in topo.security_groups %}
      - openstack_cloud: {{ ('cloud-security-group-' ~ other) | json }}
{%-   endfor %}
{%- endfor %}
