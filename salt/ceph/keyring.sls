{%- from "ceph/map.jinja" import ceph with context %}
{%- from "common/topology.jinja" import topo, me, passwords with context %}
{%- if topo.cinder.rbd %}
{#- The keyring of the rbd backends' cephx user: 0640 root:<group>, the
    group of the service that reads it.  On the controller cinder
    (cinder-volume's RBD driver connects with it); on a compute nova.  A
    compute attaches volumes through QEMU, which takes the key from the
    libvirt secret (ceph.libvirt), not from this file; the keyring is there
    for the host's Ceph tools and any librbd use of nova-compute's, as the
    same user (to be settled when the test cluster has a Ceph).  A host that is
    both keeps cinder's group: cinder-volume cannot work without it. #}
{%-   if 'controller' in me.get('roles', []) %}
{%-     from "cinder/map.jinja" import cinder with context %}
{%-     set group, group_sls = cinder.group, 'cinder.package' %}
{%-   else %}
{%-     from "nova/map.jinja" import nova with context %}
{%-     set group, group_sls = nova.group, 'nova.user' %}
{%-   endif %}
include:
  - ceph.package
  - {{ group_sls }}

ceph-keyring:
  file.managed:
    - name: {{ topo.ceph.keyring | json }}
    - contents: {{ ('[client.' ~ topo.ceph.user ~ ']\n\tkey = ' ~ passwords.ceph_cinder_key ~ '\n') | json }}
    - user: root
    - group: {{ group | json }}
    - mode: '0640'
    - show_changes: false
    - require:
      - pkg: ceph-packages
      - sls: {{ group_sls }}
{%- endif %}
