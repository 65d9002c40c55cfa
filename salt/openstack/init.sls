{#-
    salt-run state.orchestrate openstack

    The classic guide's order, with requisites: a failed step stops every
    step that depends on it and names the host and state that failed.
    Targets come from the pillar host map (openstack:hosts), never from
    hard-coded minion ids.  The last step verifies the cloud, read-only.
#}
{#- Refuse a bad pillar while rendering, before any step runs (also in test
    mode, where salt.function steps do not run), with every problem listed,
    secrets too (the host map below checks only what roles come from).
    The master has the validator when the extension is pip-installed or
    after `salt-run saltutil.sync_all` (sync_modules alone misses the _utils
    it needs); without it, hostmap.jinja refuses to render and says so. #}
{%- if 'openstack_pillar.validate' in salt %}
{%-   do salt['openstack_pillar.validate']() %}
{%- endif %}
{%- from "openstack/hostmap.jinja" import everyone, controller, gateways, computes, brick_hosts, target, prepare with context %}
{{ prepare('openstack', everyone, everyone) }}

openstack-common:
  salt.state:
    - sls:
      - common
      - firewall
{{- target(everyone) }}
    - require:
      - salt: openstack-validate-pillar

{#- After the common step three lanes run at once (parallel: the step runs
    in a process of its own while the next ones start): the controller's
    services; the computes' GlusterFS volume, libvirt and the install lane;
    the gateway's provider bridge and NAT.  The install lane (openstack.install)
    puts the computes' and gateways' configuration and packages in place
    on a new host; their services start only once the controller answers.
    The controller's step starts with its own (openstack.install_controller):
    after the nova user, its formulas' packages but nova's in one apt
    transaction.
    Requisites keep the guide's order wherever one service needs another:
    a step starts only when every step it requires has succeeded.  A host
    with several roles can be the target of two steps at once: queue makes
    its second state run wait for the first (Salt refuses it otherwise). #}
openstack-controller:
  salt.state:
    - sls:
      - openstack.install_controller
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
      - cloud.volume_types
      - tls_proxy
{{- target(controller) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-common

# The gateway's provider bridge (br-ex holds the provider interface and
# address) comes first: the guide's NAT leaves through it.
openstack-gateway-nat:
  salt.state:
    - sls:
      - ovn.gateway
      - gateway
{{- target(gateways) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-common

openstack-gluster-servers:
  salt.state:
    - sls: glusterfs.server
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-common

openstack-gluster-volume:
  salt.state:
    - sls: glusterfs.volume
{{- target(brick_hosts[:1]) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-gluster-servers

openstack-gluster-mounts:
  salt.state:
    - sls: glusterfs.mount
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-gluster-volume

openstack-libvirt:
  salt.state:
    - sls: libvirt
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-gluster-mounts

openstack-install:
  salt.state:
    - sls: openstack.install
{{- target(computes + gateways | reject('in', computes) | list) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-libvirt
      - salt: openstack-gateway-nat

openstack-computes:
  salt.state:
    - sls:
      - nova.compute
      - nova.migration
      - ovn.chassis
      - neutron.ovn_metadata
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-controller
      - salt: openstack-install

# Live-migration trust: publish every compute's keys, then write them
# everywhere.
openstack-migration-keys:
  salt.function:
    - name: mine.update
{{- target(computes) }}
    - parallel: true
    - require:
      - salt: openstack-computes

openstack-migration-trust:
  salt.state:
    - sls: nova.migration
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-migration-keys

openstack-gateway-services:
  salt.state:
    - sls:
      - nova.consoleproxy
      - horizon
{{- target(gateways) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-controller
      - salt: openstack-install

openstack-discover-hosts:
  salt.state:
    - sls: nova.discover
{{- target(controller) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-computes

# Every compute is mapped and trusted: it stops asking to be enrolled
# (nova.enrol, in its highstate, fires while this grain is absent).
openstack-computes-enrolled:
  salt.state:
    - sls: nova.enrolled
{{- target(computes) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-discover-hosts
      - salt: openstack-migration-trust

openstack-cloud-resources:
  salt.state:
    - sls:
      - cloud.flavors
      - cloud.networks
      - cloud.security
      - cloud.quotas
{{- target(controller) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-discover-hosts
      - salt: openstack-gateway-services

# The guide's verification, read-only: no change when the cloud answers.
openstack-verify:
  salt.state:
    - sls: cloud.verify
{{- target(controller) }}
    - parallel: true
    - queue: true
    - require:
      - salt: openstack-cloud-resources
