{%- from "nova/map.jinja" import nova with context %}
{#- A compute: nova-compute (configuration and packages in
    nova.compute.install), started once the local OVS database answers. #}
include:
  - nova.compute.install
  - nova.migration
  # os-vif plugs instances' ports through the local OVS database.
  - ovn.openvswitch

nova-compute-service:
  service.running:
    - name: {{ nova.compute_service }}
    - enable: true
    - require:
      - pkg: nova-compute-packages
      - cmd: ovn-ovsdb-manager
    - watch:
      - openstack_config: nova-compute-config
