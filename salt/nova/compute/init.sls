{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
{#- A compute: nova-compute (configuration and packages in
    nova.compute.install), started once the local OVS database answers. #}
include:
  - nova.compute.install
  - nova.migration
  # os-vif plugs instances' ports through the local OVS database.
  - ovn.openvswitch

# nova-compute runs only with the shared instances directory mounted: after
# a reboot whose mount failed it would otherwise put new instances on the
# local disk, out of live migration's and the other computes' reach.
nova-compute-needs-instances-mount:
  file.managed:
    - name: /etc/systemd/system/{{ nova.compute_service }}.service.d/salt-instances-mount.conf
    - makedirs: true
    - user: root
    - group: root
    - mode: '0644'
    - contents: |
        # Salt (nova.compute): the shared instances directory first.
        [Unit]
        RequiresMountsFor={{ topo.gluster.mount_point }}

nova-compute-service:
  service.running:
    - name: {{ nova.compute_service }}
    - enable: true
    - require:
      - pkg: nova-compute-packages
      - cmd: ovn-ovsdb-manager
    - watch:
      - openstack_config: nova-compute-config
      - file: nova-compute-needs-instances-mount
