{%- from "ovn/macros.jinja" import bridge_with_port with context %}
{%- from "common/topology.jinja" import topo, me with context %}
{%- set provider = topo.networks.provider %}
# A gateway chassis: br-ex holds the provider interface (mapped to the
# provider physical network in ovn/chassis.sls) and the host's own
# provider address, if it has one.
include:
  - ovn.chassis
  - ovn.addressing
{%- set addresses = [me.provider_address ~ '/' ~ provider.prefixlen] if me.provider_address else [] %}
{{ bridge_with_port(topo.ovn.bridges.provider, provider.interface, addresses) }}
