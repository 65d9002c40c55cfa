{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "nova/map.jinja" import nova with context %}
{%- set default_flavors = {'m1.nano': {'vcpus': 1, 'ram': 128, 'disk': 1},
                           'm1.small': {'vcpus': 1, 'ram': 2048, 'disk': 20} } %}
{%- set flavors = pillar.get('openstack', {}).get('flavors', default_flavors) %}
include:
  - keystone.identity
  - nova.controller
{%- for name, f in flavors | dictsort %}
{{ os_resource('cloud-flavor-' ~ name,
               'openstack flavor create --vcpus ' ~ f.vcpus ~ ' --ram ' ~ f.ram ~ ' --disk ' ~ f.disk ~ ' ' ~ name,
               'openstack flavor show ' ~ name ~ ' >/dev/null',
               ['service: nova-controller-service-' ~ nova.controller_services[0]]) }}
{%- endfor %}
