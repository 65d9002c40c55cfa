{%- from "libvirt/map.jinja" import libvirt with context %}
include:
  - libvirt.config

libvirt-service:
  service.running:
    - name: {{ libvirt.service }}
    - enable: true
    - require:
      - pkg: libvirt-packages
{%- if grains.get('virtual') in libvirt.container_virtual %}
    - watch:
{%-   for option in libvirt.container_qemu_settings | sort %}
      - file: libvirt-qemu-config-{{ option }}
{%-   endfor %}
{%- endif %}
