{%- from "neutron/map.jinja" import neutron with context %}
{%- from "neutron/settings.jinja" import neutron_settings, linuxbridge_settings with context %}
# The linuxbridge agent, on computes and on the gateway.
neutron-linuxbridge-packages:
  pkg.installed:
    - pkgs: {{ neutron.linuxbridge_packages | json }}

neutron-agent-config:
  openstack_config.present:
    - name: {{ neutron.config_file }}
    - settings: {{ neutron_settings | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-linuxbridge-packages

neutron-linuxbridge-config:
  openstack_config.present:
    - name: {{ neutron.linuxbridge_file }}
    - settings: {{ linuxbridge_settings | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-linuxbridge-packages

{#- Neutron's VXLAN devices (vxlan-<VNI>) on another port than the configured one. #}
{%- set stale_vxlan = "ip -d -o link show type vxlan | awk -v port=" ~ linuxbridge_settings.vxlan.udp_dstport
      ~ " '{ dev = $2; sub(/[:@].*/, \"\", dev); for (i = 1; i < NF; i++)"
      ~ " if ($i == \"dstport\" && $(i + 1) != port && dev ~ /^vxlan-/) print dev }'" %}

# The agent never recreates an existing VXLAN device when the port in its
# configuration changes (or was ignored before): remove the ones on another
# port, the agent's restart makes them again on the configured one.
neutron-vxlan-stale-devices:
  cmd.run:
    - name: for dev in $({{ stale_vxlan }}); do ip link delete "$dev"; done
    - onlyif: test -n "$({{ stale_vxlan }})"
    - require:
      - openstack_config: neutron-linuxbridge-config

neutron-linuxbridge-service:
  service.running:
    - name: {{ neutron.linuxbridge_service }}
    - enable: true
    - watch:
      - openstack_config: neutron-agent-config
      - openstack_config: neutron-linuxbridge-config
      - cmd: neutron-vxlan-stale-devices
