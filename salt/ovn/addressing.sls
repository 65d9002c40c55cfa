{%- from "ovn/map.jinja" import ovn with context %}
# The unit that puts a host interface's addresses and routes on the OVS
# bridge holding the interface (openstack-bridge-address@<bridge>), at
# boot after Open vSwitch and whenever ovs-vswitchd restarts.  It does not
# depend on the host's network configuration tool.
ovn-bridge-address-script:
  file.managed:
    - name: {{ ovn.bridge_address_script }}
    - source: salt://ovn/files/openstack-bridge-address.sh
    - mode: '0755'

ovn-bridge-address-unit:
  file.managed:
    - name: {{ ovn.bridge_address_unit }}
    - source: salt://ovn/files/openstack-bridge-address@.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        openvswitch_service: {{ ovn.openvswitch_service }}
        config_dir: {{ ovn.bridge_address_dir }}
        script: {{ ovn.bridge_address_script }}
