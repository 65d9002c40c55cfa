{%- from "cloud/macros.jinja" import cloud_auth with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set p = topo.networks.provider %}
{%- set s = topo.networks.selfservice %}
{#- The provider (external) flat network with its subnet, the self-service
    network and a router between them (SNAT on the gateway), declared from
    openstack:networks; each subnet is named after its network (the model's
    networks:provider:name and networks:selfservice:name).  Drift is
    corrected in place (pools, gateway, DNS, MTU, sharing); a changed CIDR or
    physical network fails its state and changes nothing (openstack_cloud's
    documentation).  Nothing is
    included: the orchestration runs this once Neutron answers. #}

cloud-network-provider:
  openstack_cloud.network_present:
    - name: {{ p.name | json }}
    - shared: true
    - external: true
    - provider_network_type: flat
    - provider_physical_network: {{ p.physical_network | json }}
{%- if p.mtu %}
    - mtu: {{ p.mtu }}
{%- endif %}
{{- cloud_auth() }}

cloud-subnet-provider:
  openstack_cloud.subnet_present:
    - name: {{ p.name | json }}
    - network: {{ p.name | json }}
    - cidr: {{ p.cidr | json }}
    - gateway_ip: {{ p.gateway | json }}
    - allocation_pools: {{ [{'start': p.allocation_start, 'end': p.allocation_end}] | json }}
    - dns_nameservers: {{ p.dns_nameservers | json }}
{{- cloud_auth() }}
    - require:
      - openstack_cloud: cloud-network-provider

cloud-network-selfservice:
  openstack_cloud.network_present:
    - name: {{ s.name | json }}
    - shared: false
    - external: false
{%- if s.mtu %}
    - mtu: {{ s.mtu }}
{%- endif %}
{{- cloud_auth() }}

cloud-subnet-selfservice:
  openstack_cloud.subnet_present:
    - name: {{ s.name | json }}
    - network: {{ s.name | json }}
    - cidr: {{ s.cidr | json }}
    - gateway_ip: {{ s.gateway | json }}
    - dns_nameservers: {{ s.dns_nameservers | json }}
{{- cloud_auth() }}
    - require:
      - openstack_cloud: cloud-network-selfservice

cloud-router:
  openstack_cloud.router_present:
    - name: router
    - external_network: {{ p.name | json }}
    - interfaces: {{ [s.name] | json }}
{{- cloud_auth() }}
    - require:
      - openstack_cloud: cloud-subnet-provider
      - openstack_cloud: cloud-subnet-selfservice
