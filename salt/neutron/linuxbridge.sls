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

neutron-linuxbridge-service:
  service.running:
    - name: {{ neutron.linuxbridge_service }}
    - enable: true
    - watch:
      - openstack_config: neutron-agent-config
      - openstack_config: neutron-linuxbridge-config
