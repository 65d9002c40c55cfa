{%- from "libvirt/map.jinja" import libvirt with context %}

libvirt-packages:
  pkg.installed:
    - pkgs: {{ libvirt.packages | json }}
