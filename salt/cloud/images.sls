{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "glance/map.jinja" import glance with context %}
{%- set images = pillar.get('openstack', {}).get('glance', {}).get('images', []) %}
# Images listed in pillar (openstack:glance:images), downloaded once into a
# cache directory and uploaded to Glance unless an image of that name exists.
# A kernel + ramdisk guest is three entries: the aki and ari images, then the
# root image naming them with `kernel:` and `ramdisk:`.
include:
  - glance
{%- for image in images %}

cloud-image-file-{{ image.name }}:
  file.managed:
    - name: /var/cache/salt-openstack-images/{{ image.name }}
    - source: {{ image.source }}
{%-   if image.source_hash is defined %}
    - source_hash: {{ image.source_hash }}
{%-   else %}
    - skip_verify: true
{%-   endif %}
    - makedirs: true
    - replace: false
{#- Optional: container_format (aki/ari/ami/bare), kernel/ramdisk (names of
    images of this list, become kernel_id/ramdisk_id) and other properties. #}
{%-   set props = [] %}
{%-   set reqs = ['file: cloud-image-file-' ~ image.name, 'service: glance-service-' ~ glance.services[0]] %}
{%-   for key in ('kernel', 'ramdisk') if image.get(key) %}
{%-     do props.append(' --property ' ~ key ~ '_id="$(openstack image show -f value -c id ' ~ image[key] ~ ')"') %}
{%-     do reqs.append('cmd: cloud-image-' ~ image[key]) %}
{%-   endfor %}
{%-   for key, value in image.get('properties', {}) | dictsort %}
{%-     do props.append(' --property ' ~ (key ~ '=' ~ value) | quote) %}
{%-   endfor %}
{{ os_resource('cloud-image-' ~ image.name,
               'openstack image create --public --disk-format ' ~ image.get('disk_format', 'qcow2')
               ~ ' --container-format ' ~ image.get('container_format', 'bare')
               ~ props | join('') ~ ' --file /var/cache/salt-openstack-images/' ~ image.name
               ~ ' ' ~ image.name,
               'openstack image show ' ~ image.name ~ ' >/dev/null',
               reqs) }}
{%- endfor %}
