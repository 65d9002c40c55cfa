{%- from "nova/map.jinja" import nova with context %}
{%- from "neutron/map.jinja" import neutron with context %}
{%- from "ovn/map.jinja" import ovn with context %}
{#- On a compute being retired (openstack.retire), once its servers have
    moved away: its cloud services stop and stay stopped at boot.
    ovn-controller's graceful exit removes its chassis from the southbound
    database; the controller then forgets the rest (nova.forget). #}

nova-compute-stopped:
  service.dead:
    - name: {{ nova.compute_service }}
    - enable: False

neutron-ovn-metadata-stopped:
  service.dead:
    - name: {{ neutron.ovn_metadata_service }}
    - enable: False

ovn-controller-stopped:
  service.dead:
    - name: {{ ovn.controller_service }}
    - enable: False
    - require:
      - service: neutron-ovn-metadata-stopped
