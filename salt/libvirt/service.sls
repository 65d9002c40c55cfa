{%- from "libvirt/map.jinja" import libvirt with context %}
include:
  - libvirt.config

libvirt-service:
  service.running:
    - name: {{ libvirt.service }}
    - enable: true
    - require:
      - pkg: libvirt-packages
    - watch:
{%- for option in libvirt.qemu_settings | sort %}
      - file: libvirt-qemu-config-{{ option }}
{%- endfor %}
