{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- openstack:flavors, validated: sizes, ephemeral, swap, public,
    description (none: not managed) and exactly the listed extra specs;
    default m1.nano and m1.small.  Nova cannot change a flavor's sizes in
    place: an unused flavor is replaced (same id), a used one fails the
    state and is left as it is (openstack_cloud's documentation).  Nothing
    is included: the orchestration runs this once Nova answers. #}
{%- for name, f in topo.flavors | dictsort %}

{{ ('cloud-flavor-' ~ name) | json }}:
  openstack_cloud.flavor_present:
    - name: {{ name | json }}
    - vcpus: {{ f.vcpus }}
    - ram: {{ f.ram }}
    - disk: {{ f.disk }}
    - ephemeral: {{ f.ephemeral }}
    - swap: {{ f.swap }}
    - public: {{ f.public | json }}
{%-   if f.description is not none %}
    - description: {{ f.description | json }}
{%-   endif %}
    - extra_specs: {{ f.extra_specs | json }}
{{- cloud_auth() }}
{%- endfor %}
