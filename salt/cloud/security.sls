{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- The admin project's security groups from openstack:security_groups
    (default: the guide's ICMP and SSH into the default group).  The listed
    rules are ensured; with remove_unlisted, the group's other rules are
    deleted (list Neutron's own egress and same-group rules to keep them).
    Nothing is included: the orchestration runs this once Keystone and
    Neutron answer (openstack-cloud-resources), and a rerun does not
    converge the controller again just for requisites. #}
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
{%-   set others = group.rules | map(attribute='remote_group') | reject('none') | unique
          | reject('equalto', name) | select('in', topo.security_groups) | list %}
{%-   if others %}
    - require:
{%-     for other in others %}
      - openstack_cloud: {{ ('cloud-security-group-' ~ other) | json }}
{%-     endfor %}
{%-   endif %}
{%- endfor %}
