{%- from "firewall/map.jinja" import firewall with context %}
{%- from "common/topology.jinja" import topo, management_interfaces with context %}
{%- set fw = topo.firewall %}
{%- set me = topo.hosts.get(grains['id'], {'roles': []}) %}
{%- set management = {'tcp': [], 'udp': []} %}
{%- set public = {'tcp': [], 'udp': []} %}
{%- for role in me.roles %}
{%-   for proto in ('tcp', 'udp') %}
{%-     do management[proto].extend(firewall.ports.get(role, {}).get('management', {}).get(proto, [])) %}
{%-     do public[proto].extend(firewall.ports.get(role, {}).get('public', {}).get(proto, [])) %}
{%-   endfor %}
{%- endfor %}
{#- The controller's API ports, from the model's endpoints: the plain port
    for the management network, the public one (TLS) for public_from. #}
{%- if 'controller' in me.roles %}
{%-   for name, ep in topo.endpoints | dictsort %}
{%-     do management.tcp.append(ep.port) %}
{%-     do public.tcp.append(ep.public_port) %}
{%-   endfor %}
{%- endif %}
{#- The console proxy's port: every gateway runs one (nova.consoleproxy). #}
{%- if 'gateway' in me.roles and topo.console %}
{%-   do public.tcp.append(topo.console.port) %}
{%- endif %}
{%- if fw.enabled %}
# The host firewall lives in its own nftables table (inet openstack_filter):
# loading it replaces that table only, never anybody else's rules (no
# flush).  Only the ports this host's roles need are open.
firewall-packages:
  pkg.installed:
    - pkgs: {{ firewall.packages | json }}

firewall-rules:
  file.managed:
    - name: {{ firewall.rules_file }}
    - source: salt://firewall/files/openstack.nft.jinja
    - template: jinja
    - makedirs: true
    - mode: '0644'
    - context:
        management_cidr: {{ topo.management.cidr }}
        management_interfaces: {{ management_interfaces | json }}
        ssh_from: {{ fw.ssh_from | json }}
        public_from: {{ fw.public_from | json }}
        management_ports: {{ management | json }}
        public_ports: {{ public | json }}
    - require:
      - pkg: firewall-packages

firewall-unit:
  file.managed:
    - name: {{ firewall.unit_file }}
    - source: salt://firewall/files/openstack-firewall.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        rules_file: {{ firewall.rules_file }}

firewall-service:
  service.running:
    - name: {{ firewall.service }}
    - enable: true
    - reload: true
    - watch:
      - file: firewall-rules
      - file: firewall-unit
{%- else %}

# firewall:enabled false (or switched off later): the unit stops first (its
# ExecStop deletes the table: no rule of ours stays loaded) and is disabled,
# then its file and the rules file go.  A second run finds nothing to do.
firewall-service:
  service.dead:
    - name: {{ firewall.service }}
    - enable: false

firewall-unit:
  file.absent:
    - name: {{ firewall.unit_file }}
    - require:
      - service: firewall-service

firewall-rules:
  file.absent:
    - name: {{ firewall.rules_file }}
    - require:
      - service: firewall-service
{%- endif %}
