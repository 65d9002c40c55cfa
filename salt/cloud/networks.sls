{%- from "cloud/macros.jinja" import os_resource with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set p = topo.networks.provider %}
{%- set s = topo.networks.selfservice %}
# The provider (external) flat network with its subnet, the self-service
# network and a router between them (SNAT on the gateway).
include:
  - neutron.server
{{ os_resource('cloud-network-provider',
    'openstack network create --share --external --provider-physical-network ' ~ p.physical_network ~ ' --provider-network-type flat provider',
    'openstack network show provider >/dev/null') }}
{{ os_resource('cloud-subnet-provider',
    'openstack subnet create --network provider --allocation-pool start=' ~ p.allocation_start
    ~ ',end=' ~ p.allocation_end ~ ' --gateway ' ~ p.gateway ~ ' --subnet-range ' ~ p.cidr ~ ' provider',
    'openstack subnet show provider >/dev/null',
    ['cmd: cloud-network-provider']) }}
{{ os_resource('cloud-network-selfservice',
    'openstack network create selfservice',
    'openstack network show selfservice >/dev/null') }}
{{ os_resource('cloud-subnet-selfservice',
    'openstack subnet create --network selfservice --gateway ' ~ s.gateway ~ ' --subnet-range ' ~ s.cidr ~ ' selfservice',
    'openstack subnet show selfservice >/dev/null',
    ['cmd: cloud-network-selfservice']) }}
{{ os_resource('cloud-router',
    'openstack router create router && openstack router add subnet router selfservice && openstack router set --external-gateway provider router',
    'openstack router show router -f value -c external_gateway_info | grep -q network_id',
    ['cmd: cloud-subnet-selfservice', 'cmd: cloud-subnet-provider']) }}
