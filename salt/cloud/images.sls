{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "glance/map.jinja" import glance with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set cache = '/var/cache/salt-openstack-images' %}
{#- openstack:glance:images, validated: each downloaded once into a cache
    directory (file.managed, replace: false), then kept in Glance by
    openstack_cloud.image_present: uploaded streamed and checked against
    Glance's checksum; a partial upload or data that is not the file's is
    replaced; visibility, kernel/ramdisk (by image name) and properties are
    corrected in place; other formats for the same data fail the state
    (openstack_cloud's documentation).  A kernel + ramdisk guest is three
    entries: the aki and ari images, then the root image naming them.
    They need the catalog and Glance's service user (keystone.identity)
    and Glance serving. #}
include:
  - keystone.identity
  - glance
{%- for image in topo.glance.images %}
{%-   set path = cache ~ '/' ~ image.name %}

{{ ('cloud-image-file-' ~ image.name) | json }}:
  file.managed:
    - name: {{ path | json }}
    - source: {{ image.source | json }}
{%-   if image.source_hash %}
    - source_hash: {{ image.source_hash | json }}
{%-   else %}
    - skip_verify: true
{%-   endif %}
    - makedirs: true
    - replace: false

{{ ('cloud-image-' ~ image.name) | json }}:
  openstack_cloud.image_present:
    - name: {{ image.name | json }}
    - filename: {{ path | json }}
    - disk_format: {{ image.disk_format | json }}
    - container_format: {{ image.container_format | json }}
    - visibility: {{ image.visibility | json }}
{%-   for key in ('kernel', 'ramdisk') if image[key] %}
    - {{ key }}: {{ image[key] | json }}
{%-   endfor %}
    - properties: {{ image.properties | json }}
{{- cloud_auth() }}
    - require:
      - file: {{ ('cloud-image-file-' ~ image.name) | json }}
      - service: {{ ('glance-service-' ~ glance.services[0]) | json }}
      - keystone_init: keystone-identity
{%-   for key in ('kernel', 'ramdisk') if image[key] %}
      - openstack_cloud: {{ ('cloud-image-' ~ image[key]) | json }}
{%-   endfor %}
{%- endfor %}
