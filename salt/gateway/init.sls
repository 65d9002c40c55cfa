{%- from "common/topology.jinja" import topo, me, management_interfaces with context %}
# The guide's NAT gateway, done with a table of its own: IP forwarding and
# masquerading of the management network out of the provider network, only
# on gateway hosts and only when enabled in pillar.  The host's provider
# address lives on the provider bridge (br-ex, which holds the provider
# interface), so that is where the traffic leaves.  OVN's routers do their
# own SNAT for self-service networks.
#
# Forwarding is on only while NAT is: nothing else in these formulas needs
# the kernel to route.  Open vSwitch moves the cloud's traffic (provider
# network, Geneve, OVN's routers and SNAT) in its own datapath, the
# kernel's openvswitch module or the userspace one: those packets never
# reach netfilter's forward hook, and the forward chain below never sees
# them.  What it sees is what the host itself routes: the management
# network's traffic out of the provider bridge, and anything from the
# provider network towards the management network, which it drops.
{%- if topo.gateway_nat.enabled %}
{%- set from_management = 'iifname { "' ~ (management_interfaces | join('", "')) ~ '" } ip saddr '
                          ~ topo.management.cidr %}
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
            # What the host routes: replies, and new connections from the
            # management network out of the provider bridge.  Nothing else,
            # in particular nothing from the provider network into the
            # management network.  (Open vSwitch's datapaths bypass this
            # hook: the cloud's own traffic is not filtered here.)
            chain forward {
                type filter hook forward priority filter; policy drop;
                ct state established,related accept
                {{ from_management }} oifname "{{ me.provider_device }}" ct state new accept
            }
        }

gateway-nat-unit:
  file.managed:
    - name: /etc/systemd/system/openstack-nat.service
    - mode: '0644'
    - contents: |
        # Managed by Salt (gateway formula).
        [Unit]
        Description=OpenStack gateway NAT and forwarding (nftables table ip openstack_nat)
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

# Disabled (or switched off later).  Forwarding goes first: the persisted
# net.ipv4.ip_forward = 1 that the enabled branch wrote (sysctl.present,
# into Salt's default sysctl file) is removed, and the live value is set
# back to 0 when that line was just removed, unless another sysctl file
# of the host still turns forwarding on (something else needs it).  A
# value set at run time by other software (libvirt's NAT networks) is not
# touched on later runs.  Then no NAT table, no unit; this also keeps the
# SLS non-empty, which the orchestration's salt.state requires.
gateway-ip-forward-persisted:
  file.replace:
    - name: {{ salt['sysctl.default_config']() }}
    - pattern: '^[ \t]*net\.ipv4\.ip_forward[ \t]*=[ \t]*1[ \t]*(\n|$)'
    - repl: ''
    - ignore_if_missing: true
    - backup: false

{#- Forwarding turned on by a sysctl file (systemd-sysctl's directories). #}
{%- set sysctl_files = ['/etc/sysctl.conf', '/etc/sysctl.d/*.conf', '/run/sysctl.d/*.conf',
                        '/usr/local/lib/sysctl.d/*.conf', '/usr/lib/sysctl.d/*.conf'] %}
{%- set forwarding_configured = "grep -Eqs '^[[:space:]]*net[./]ipv4[./]"
                                ~ "(ip_forward|conf[./]all[./]forwarding)[[:space:]]*=[[:space:]]*1' "
                                ~ sysctl_files | join(' ') %}

gateway-ip-forward:
  cmd.run:
    - name: sysctl -w net.ipv4.ip_forward=0
    - onchanges:
      - file: gateway-ip-forward-persisted
    - unless: {{ forwarding_configured | json }}

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
