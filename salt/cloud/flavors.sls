{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- openstack:flavors, validated (names of letters, digits and . _ -;
    integer sizes); default m1.nano and m1.small. #}
include:
  - keystone.identity
  - nova.controller
{%- for name, f in topo.flavors | dictsort %}
{{ os_resource('cloud-flavor-' ~ name,
               'openstack flavor create --vcpus ' ~ f.vcpus ~ ' --ram ' ~ f.ram ~ ' --disk ' ~ f.disk ~ ' ' ~ name | quote,
               'openstack flavor show ' ~ name | quote ~ ' >/dev/null',
               ['service: nova-controller-service-' ~ nova.controller_services[0]]) }}
{%- endfor %}
