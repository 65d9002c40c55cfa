{%- from "ceph/map.jinja" import ceph with context %}
{%- from "common/topology.jinja" import topo, passwords with context %}
{%- if topo.cinder.rbd %}
{#- On a compute with an rbd backend: QEMU's rbd block driver and the
    libvirt secret holding the cephx key, which nova's [libvirt]
    rbd_secret_uuid names (nova.compute.install).  The key never goes on a
    command line (openstack_libvirt.secret_present). #}
include:
  - libvirt

ceph-qemu-rbd-packages:
  pkg.installed:
    - pkgs: {{ ceph.qemu_rbd_packages | json }}
    - require:
      - pkg: libvirt-packages

ceph-libvirt-secret:
  openstack_libvirt.secret_present:
    - name: {{ topo.ceph.libvirt_secret_uuid }}
    - usage: {{ ('client.' ~ topo.ceph.user ~ ' secret') | json }}
    - value: {{ passwords.ceph_cinder_key | json }}
    - require:
      - service: libvirt-service
{%- endif %}
