{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "glance/map.jinja" import glance with context %}
{%- set images = pillar.get('openstack', {}).get('glance', {}).get('images', []) %}
# Images listed in pillar (openstack:glance:images), downloaded once into a
# cache directory and uploaded to Glance unless an image of that name exists.
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
{{ os_resource('cloud-image-' ~ image.name,
               'openstack image create --public --disk-format ' ~ image.get('disk_format', 'qcow2')
               ~ ' --container-format bare --file /var/cache/salt-openstack-images/' ~ image.name
               ~ ' ' ~ image.name,
               'openstack image show ' ~ image.name ~ ' >/dev/null',
               ['file: cloud-image-file-' ~ image.name, 'service: glance-service-' ~ glance.services[0]]) }}
{%- endfor %}
