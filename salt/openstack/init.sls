{#-
    salt-run state.orchestrate openstack

    The classic guide's order, with requisites: a failed step stops every
    step that depends on it and names the host and state that failed.
    Targets come from the pillar host map (openstack:hosts), never from
    hard-coded minion ids.  The last step verifies the cloud, read-only.
#}
{#- Refuse a bad pillar while rendering, before any step runs (also in test
    mode, where salt.function steps do not run).  The master has the
    validator when the extension is pip-installed or after
    `salt-run saltutil.sync_all` (sync_modules alone misses the _utils it
    needs); otherwise the validate step below, and every formula on the
    minions, refuse it. #}
{%- if 'openstack_pillar.validate' in salt %}
{%-   do salt['openstack_pillar.validate']() %}
{%- endif %}
{%- from "openstack/hostmap.jinja" import everyone, controller, gateways, computes, brick_hosts, target with context %}

openstack-sync-modules:
  salt.function:
    - name: saltutil.sync_all
{{- target(everyone) }}

# Refuse a bad pillar before any host is touched.
openstack-validate-pillar:
  salt.function:
    - name: openstack_pillar.validate
{{- target(everyone) }}
    - require:
      - salt: openstack-sync-modules

openstack-common:
  salt.state:
    - sls:
      - common
      - firewall
{{- target(everyone) }}
    - require:
      - salt: openstack-validate-pillar

# The gateway's provider bridge (br-ex holds the provider interface and
# address) comes first: the guide's NAT leaves through it.
openstack-gateway-nat:
  salt.state:
    - sls:
      - ovn.gateway
      - gateway
{{- target(gateways) }}
    - require:
      - salt: openstack-common

openstack-gluster-servers:
  salt.state:
    - sls: glusterfs.server
{{- target(computes) }}
    - require:
      - salt: openstack-common

openstack-gluster-volume:
  salt.state:
    - sls: glusterfs.volume
{{- target(brick_hosts[:1]) }}
    - require:
      - salt: openstack-gluster-servers

openstack-gluster-mounts:
  salt.state:
    - sls: glusterfs.mount
{{- target(computes) }}
    - require:
      - salt: openstack-gluster-volume

openstack-libvirt:
  salt.state:
    - sls: libvirt
{{- target(computes) }}
    - require:
      - salt: openstack-gluster-mounts

openstack-controller:
  salt.state:
    - sls:
      - mariadb
      - rabbitmq
      - memcached
      - keystone
      - glance
      - cloud.images
      - placement
      - nova.controller
      - ovn.central
      - neutron.server
      - cinder
{{- target(controller) }}
    - require:
      - salt: openstack-common

openstack-computes:
  salt.state:
    - sls:
      - nova.compute
      - nova.migration
      - ovn.chassis
      - neutron.ovn_metadata
{{- target(computes) }}
    - require:
      - salt: openstack-controller
      - salt: openstack-libvirt

# Live-migration trust: publish every compute's keys, then write them
# everywhere.
openstack-migration-keys:
  salt.function:
    - name: mine.update
{{- target(computes) }}
    - require:
      - salt: openstack-computes

openstack-migration-trust:
  salt.state:
    - sls: nova.migration
{{- target(computes) }}
    - require:
      - salt: openstack-migration-keys

openstack-gateway-services:
  salt.state:
    - sls:
      - nova.consoleproxy
      - horizon
{{- target(gateways) }}
    - require:
      - salt: openstack-controller
      - salt: openstack-gateway-nat

openstack-discover-hosts:
  salt.state:
    - sls: nova.discover
{{- target(controller) }}
    - require:
      - salt: openstack-computes

openstack-cloud-resources:
  salt.state:
    - sls:
      - cloud.flavors
      - cloud.networks
      - cloud.security
{{- target(controller) }}
    - require:
      - salt: openstack-discover-hosts
      - salt: openstack-gateway-services

# The guide's verification, read-only: no change when the cloud answers.
openstack-verify:
  salt.state:
    - sls: cloud.verify
{{- target(controller) }}
    - require:
      - salt: openstack-cloud-resources
