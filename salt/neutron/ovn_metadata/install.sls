{%- from "neutron/map.jinja" import neutron with context %}
{%- from "ovn/map.jinja" import ovn with context %}
{%- from "common/topology.jinja" import topo, controller, passwords with context %}
{%- from "neutron/ovn.jinja" import ovn_options with context %}
# The OVN metadata agent, on every compute: a haproxy per network in a
# namespace, patched into br-int, proxies instances' metadata requests to
# nova's metadata API on the controller.
{#- The agent's install part: packages and configuration, nothing that
    starts a service.  The orchestration runs it on the computes while the
    controller is set up; neutron.ovn_metadata includes it. #}
include:
  - neutron.ovn_tls

neutron-ovn-metadata-config:
  openstack_config.present:
    - name: {{ neutron.ovn_metadata_file }}
    - settings:
        DEFAULT:
          nova_metadata_host: {{ controller }}
          metadata_proxy_shared_secret: {{ passwords.metadata_secret | json }}
          # Not read by 2025.1's agent: it serves the metadata socket from
          # threads of its own process (neutron/agent/ovn/metadata/
          # server_socket.py), whatever this says.
          metadata_workers: {{ topo.workers.metadata }}
        # The southbound database over mutual TLS (neutron/ovn_tls.sls).
        ovn: {{ ovn_options(('sb',)) }}
        ovs:
          ovsdb_connection: {{ ovn.ovsdb_connection | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-ovn-metadata-packages

# The agent also reads neutron.conf, which Debian 13 ships 0660: no
# secret of ours is in it, but it has the password options, and the
# group needs no write access.
neutron-ovn-metadata-neutron-conf:
  file.managed:
    - name: {{ neutron.config_file }}
    - replace: false
    - follow_symlinks: false
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-ovn-metadata-packages

neutron-ovn-metadata-packages:
  pkg.installed:
    - pkgs: {{ neutron.ovn_metadata_packages | json }}
