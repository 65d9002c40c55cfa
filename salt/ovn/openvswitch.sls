{%- from "ovn/map.jinja" import ovn with context %}
{%- from "common/topology.jinja" import topo, me with context %}
{%- set netdev = topo.networks.datapath_type == 'netdev' %}
# Open vSwitch on an OVN chassis.  With the userspace datapath (netdev),
# TCP through it needs userspace TSO, which ovs-vswitchd reads at start:
# setting it restarts ovs-vswitchd.
ovn-openvswitch-packages:
  pkg.installed:
    - pkgs: {{ ovn.openvswitch_packages | json }}

ovn-openvswitch-service:
  service.running:
    - name: {{ ovn.openvswitch_service }}
    - enable: true
    - watch:
      - pkg: ovn-openvswitch-packages

# The chassis name: ovs-ctl sets external_ids:system-id from this file
# whenever ovsdb-server starts (hosts cloned from one image would share it).
ovn-system-id:
  file.managed:
    - name: {{ ovn.system_id_file }}
    - contents: {{ grains['id'] | json }}
    - mode: '0644'
    - require:
      - pkg: ovn-openvswitch-packages

# The local database for the services' clients (defaults.yaml: why TCP),
# only where they run: nova-compute and the OVN metadata agent, on
# computes.  A gateway's ovn-controller uses the unix socket, so nothing
# listens there.
{%- if 'compute' in me.get('roles', []) %}
ovn-ovsdb-manager:
  cmd.run:
    - name: ovs-vsctl --timeout=30 set-manager {{ ovn.ovsdb_listen }}
    - unless: test "$(ovs-vsctl --timeout=30 get-manager)" = {{ ovn.ovsdb_listen | json }}
    - require:
      - service: ovn-openvswitch-service
{%- else %}
ovn-ovsdb-manager:
  cmd.run:
    - name: ovs-vsctl --timeout=30 del-manager
    - onlyif: test -n "$(ovs-vsctl --timeout=30 get-manager)"
    - require:
      - service: ovn-openvswitch-service
{%- endif %}

ovn-datapath-settings:
  openstack_ovs.record_present:
    - name: .
    - table: Open_vSwitch
    - values:
        other_config:
          userspace-tso-enable: {{ 'true' if netdev else 'null' }}
    - require:
      - service: ovn-openvswitch-service

ovn-vswitchd-service:
  service.running:
    - name: ovs-vswitchd
    - require:
      - service: ovn-openvswitch-service
    - watch:
      - openstack_ovs: ovn-datapath-settings
