{%- from "neutron/map.jinja" import neutron with context %}
{#- The OVN metadata agent (packages and configuration in
    neutron.ovn_metadata.install), started once ovn-controller runs. #}
include:
  - neutron.ovn_metadata.install
  - ovn.chassis

neutron-ovn-metadata-service:
  service.running:
    - name: {{ neutron.ovn_metadata_service }}
    - enable: true
    - require:
      - service: ovn-host-service
      - cmd: ovn-ovsdb-manager
    - watch:
      - pkg: neutron-ovn-metadata-packages
      - file: neutron-ovn-metadata-neutron-conf
      - openstack_config: neutron-ovn-metadata-config
      # It reads the certificate and key for the southbound database at start.
      - file: neutron-ovn-tls-private-key
      - file: neutron-ovn-tls-certificate
      - file: neutron-ovn-tls-ca-cert
