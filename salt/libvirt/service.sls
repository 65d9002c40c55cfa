{%- from "libvirt/map.jinja" import libvirt with context %}
include:
  - libvirt.config
  - libvirt.tls

libvirt-service:
  service.running:
    - name: {{ libvirt.service }}
    - enable: true
    - require:
      - pkg: libvirt-packages
      # qemu.conf names the migration certificates' directory: libvirt's
      # QEMU driver refuses to start while it does not exist.
      - sls: libvirt.tls
    - watch:
{%- for option in libvirt.qemu_settings | sort %}
      - file: libvirt-qemu-config-{{ option }}
{%- endfor %}
