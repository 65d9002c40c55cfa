{%- from "common/topology.jinja" import topo, me with context %}
# The guide's NAT gateway, done with a table of its own: IP forwarding and
# masquerading of the management network out of the provider network, only
# on gateway hosts and only when enabled in pillar.  The host's provider
# address lives on the provider bridge (br-ex, which holds the provider
# interface), so that is where the traffic leaves.  OVN's routers do their
# own SNAT for self-service networks.
{%- if topo.gateway_nat.enabled %}
include:
  - ovn.gateway

gateway-ip-forward:
  sysctl.present:
    - name: net.ipv4.ip_forward
    - value: 1

gateway-nat-rules:
  file.managed:
    - name: /etc/nftables.d/openstack-nat.nft
    - makedirs: true
    - mode: '0644'
    - contents: |
        #!/usr/sbin/nft -f
        # Managed by Salt (gateway formula).  Replaces only this table.
        table ip openstack_nat
        delete table ip openstack_nat
        table ip openstack_nat {
            chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                ip saddr {{ topo.management.cidr }} oifname "{{ me.provider_device }}" masquerade
            }
        }

gateway-nat-unit:
  file.managed:
    - name: /etc/systemd/system/openstack-nat.service
    - mode: '0644'
    - contents: |
        # Managed by Salt (gateway formula).
        [Unit]
        Description=OpenStack gateway NAT (nftables table ip openstack_nat)
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/usr/sbin/nft -f /etc/nftables.d/openstack-nat.nft
        ExecReload=/usr/sbin/nft -f /etc/nftables.d/openstack-nat.nft
        ExecStop=/usr/sbin/nft delete table ip openstack_nat
        [Install]
        WantedBy=multi-user.target

gateway-nat-service:
  service.running:
    - name: openstack-nat
    - enable: true
    - reload: true
    - require:
      - sysctl: gateway-ip-forward
      - service: ovn-bridge-address-{{ me.provider_device }}
    - watch:
      - file: gateway-nat-rules
      - file: gateway-nat-unit
{%- else %}

# Disabled (or switched off later): no NAT table, no unit.  This also keeps
# the SLS non-empty, which the orchestration's salt.state requires.
gateway-nat-service:
  service.dead:
    - name: openstack-nat
    - enable: false

gateway-nat-unit:
  file.absent:
    - name: /etc/systemd/system/openstack-nat.service
    - require:
      - service: gateway-nat-service

gateway-nat-rules:
  file.absent:
    - name: /etc/nftables.d/openstack-nat.nft
    - require:
      - service: gateway-nat-service
{%- endif %}
