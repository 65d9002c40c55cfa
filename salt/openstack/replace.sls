{#-
    salt-run state.orchestrate openstack.replace pillar='{"compute": "compute2"}'

    The cloud forgets a dead compute, so that a new machine of the same
    name and address joins as it did: run it once Nova reports the dead
    compute's nova-compute down (openstack compute service list), after
    `salt-key -d compute2` (the new machine has a new key), then bring the
    new machine up and run its highstate: the reactor admits and enrols
    it (openstack.admit, openstack.enrol) like any new compute.
      1. its bricks leave the volume (the replica count drops by one) and
         the pool detaches it: only when the pool sees it disconnected
         (glusterfs.retire with replace);
      2. Nova, placement and Neutron forget it: only while Nova reports it
         down (nova.forget with replace).
    A compute that is up (the old one alive, or its replacement enrolled)
    is left alone: run again, it changes nothing.  Servers the dead compute
    ran are not moved here: evacuate them first (openstack server
    evacuate; their disks are on the shared volume).
#}
{%- from "openstack/hostmap.jinja" import controller, computes, brick_hosts, target, prepare with context %}
{%- set host = pillar.get('compute') %}
{%- set stays = brick_hosts | reject('equalto', host) | list %}
{%- if host is none or host not in computes or not stays or host == brick_hosts[0] %}

replace-refused:
  test.fail_without_changes:
{%-   if host in computes and host == brick_hosts[0] %}
{%-     set why = 'it is the first brick host, which admits the others; put another compute first in '
                 ~ 'openstack:gluster:brick_hosts, run the openstack orchestration, then replace it' %}
    - name: {{ ('not replacing ' ~ host ~ ': ' ~ why) | json }}
{%-   else %}
    - name: {{ ('not replacing ' ~ host ~ ': pillar openstack:hosts must list it with the compute role, beside another compute that holds a brick') | json }}
{%-   endif %}
{%- else %}
{%-   set args = {'compute': host, 'replace': true} %}

{#- This extension's modules on the hosts the steps below run on (the
    validator, gluster.host_retired, openstack_cloud's compute states). #}
{{ prepare('replace', (controller + stays[:1]) | unique | list, controller) }}

replace-volume:
  salt.state:
    - sls: glusterfs.retire
{{- target(stays[:1]) }}
    - pillar: {{ args | json }}
    - queue: true
    - require:
      - salt: replace-validate-pillar

replace-forget:
  salt.state:
    - sls: nova.forget
{{- target(controller) }}
    - pillar: {{ args | json }}
    - queue: true
    - require:
      - salt: replace-volume
{%- endif %}
