{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
# The nova user and group get the same ids on every host (openstack:nova:uid and gid, from the model)
# before any package creates them, so that files on the shared instances
# directory keep their owner wherever they are read.
nova-group:
  group.present:
    - name: {{ nova.group }}
    - gid: {{ topo.nova.gid }}
    - system: true

nova-user:
  user.present:
    - name: {{ nova.user }}
    - uid: {{ topo.nova.uid }}
    - gid: {{ topo.nova.gid }}
    - home: {{ nova.home }}
    - createhome: true
    - shell: {{ nova.shell }}
    - system: true
    - require:
      - group: nova-group

nova-config-dir:
  file.directory:
    - name: {{ salt['file.dirname'](nova.config_file) }}
    - user: {{ nova.config_dir_user }}
    - group: {{ nova.group }}
    - mode: '{{ nova.config_dir_mode }}'
    - require:
      - user: nova-user
