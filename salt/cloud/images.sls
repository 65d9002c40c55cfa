{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "glance/map.jinja" import glance with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set cache = '/var/cache/salt-openstack-images' %}
# Images listed in pillar (openstack:glance:images), downloaded once into a
# cache directory and uploaded to Glance unless an image of that name exists.
# A kernel + ramdisk guest is three entries: the aki and ari images, then the
# root image naming them with `kernel:` and `ramdisk:`.  The validator
# allows no '/' or whitespace in names; every value is quoted anyway
# (`| quote` in shell, `| json` in YAML).
include:
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
{#- Optional: container_format (aki/ari/ami/bare), kernel/ramdisk (names of
    images of this list, become kernel_id/ramdisk_id) and other properties. #}
{%-   set props = [] %}
{%-   set reqs = [{'file': 'cloud-image-file-' ~ image.name},
                  {'service': 'glance-service-' ~ glance.services[0]}] %}
{%-   for key in ('kernel', 'ramdisk') if image[key] %}
{%-     do props.append(' --property ' ~ key ~ '_id="$(openstack image show -f value -c id '
                        ~ image[key] | quote ~ ')"') %}
{%-     do reqs.append({'cmd': 'cloud-image-' ~ image[key]}) %}
{%-   endfor %}
{%-   for key, value in image.properties | dictsort %}
{%-     do props.append(' --property ' ~ (key ~ '=' ~ value) | quote) %}
{%-   endfor %}
{{ os_resource('cloud-image-' ~ image.name,
               'openstack image create --public --disk-format ' ~ image.disk_format | quote
               ~ ' --container-format ' ~ image.container_format | quote
               ~ props | join('') ~ ' --file ' ~ path | quote ~ ' ' ~ image.name | quote,
               'openstack image show ' ~ image.name | quote ~ ' >/dev/null',
               reqs) }}
{%- endfor %}
