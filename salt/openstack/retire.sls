{#-
    salt-run state.orchestrate openstack.retire pillar='{"compute": "compute3"}'

    Takes a compute out of service, safely, while it still runs:
      1. checks, in test mode, that the other computes can take its servers
         (nova.drain) and the volume can do without its brick
         (glusterfs.retire): a refusal stops everything here, with nothing
         changed;
      2. disables its nova-compute and live-migrates its servers away;
      3. stops its nova-compute, OVN metadata agent and ovn-controller;
      4. Nova, placement and Neutron forget it (service record, resource
         provider, agents);
      5. its brick leaves the volume (to a compute holding none, else the
         replica count drops by one) and the pool detaches it;
      6. its migration key leaves Salt's mine and every other compute's
         authorized_keys and known_hosts.
    Then delete it from the pillar (and its key: salt-key -d) and destroy
    the machine.  Every step is idempotent: run again, it changes nothing.
#}
{%- from "openstack/hostmap.jinja" import controller, computes, brick_hosts, target, prepare with context %}
{%- set host = pillar.get('compute') %}
{%- set stays = brick_hosts | reject('equalto', host) | list %}
{%- set others = computes | reject('equalto', host) | list %}
{%- if host is none or host not in computes or not others or not stays %}

retire-refused:
  test.fail_without_changes:
    - name: {{ ('not retiring ' ~ host ~ ': pillar openstack:hosts must list it with the compute role, beside another compute that holds a brick') | json }}
{%- else %}
{%-   set args = {'compute': host} %}

{#- This extension's modules on the hosts the steps below run on (the
    validator, gluster.host_retired, openstack_cloud's compute states). #}
{{ prepare('retire', (controller + stays[:1] + [host]) | unique | list, controller) }}

retire-check-servers:
  salt.state:
    - sls: nova.drain
{{- target(controller) }}
    - pillar: {{ args | json }}
    - test: true
    - queue: true
    - require:
      - salt: retire-validate-pillar

retire-check-volume:
  salt.state:
    - sls: glusterfs.retire
{{- target(stays[:1]) }}
    - pillar: {{ args | json }}
    - test: true
    - queue: true
    - require:
      - salt: retire-validate-pillar

retire-drain:
  salt.state:
    - sls: nova.drain
{{- target(controller) }}
    - pillar: {{ args | json }}
    - queue: true
    - require:
      - salt: retire-check-servers
      - salt: retire-check-volume

retire-stop-services:
  salt.state:
    - sls: nova.compute.stopped
{{- target([host]) }}
    - queue: true
    - require:
      - salt: retire-drain

retire-forget:
  salt.state:
    - sls: nova.forget
{{- target(controller) }}
    - pillar: {{ args | json }}
    - queue: true
    - require:
      - salt: retire-stop-services

retire-volume:
  salt.state:
    - sls: glusterfs.retire
{{- target(stays[:1]) }}
    - pillar: {{ args | json }}
    - queue: true
    - require:
      - salt: retire-forget

retire-mine:
  salt.function:
    - name: mine.delete
    - arg:
      - openstack_nova_ssh
{{- target([host]) }}
    - require:
      - salt: retire-volume

retire-migration-trust:
  salt.state:
    - sls: nova.migration
{{- target(others) }}
    - queue: true
    - require:
      - salt: retire-mine
{%- endif %}
