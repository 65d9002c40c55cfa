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
      - file: libvirt-qemu-config
{%- endif %}
