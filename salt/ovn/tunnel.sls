{%- from "ovn/macros.jinja" import bridge_with_port with context %}
{%- from "common/topology.jinja" import topo, my_address with context %}
# Userspace datapath only: Geneve tunnels of the userspace datapath leave
# through an OVS bridge holding the tunnel address, so the management
# address moves from the management interface to br-phy.
include:
  - ovn.openvswitch
  - ovn.addressing
{{ bridge_with_port(topo.ovn.bridges.tunnel, topo.management.interface,
                    [my_address ~ '/' ~ topo.management.prefixlen]) }}
