{#-
    salt-run state.orchestrate openstack.admit pillar='{"compute": "compute3"}'

    A new compute's admission to the GlusterFS volume, run by the reactor
    when the compute's first highstate fires openstack/compute/admit (see
    glusterfs.admit) and as the first part of openstack.enrol.  Every other
    host learns the new host's name (peer probe and brick connections use
    host names), then the first brick host probes it, adds its brick when
    it holds one, and sets the volume's options, auth.allow among them: the
    new compute's mount, which waits for this, can then connect.

    The new compute itself is not a target: its highstate, which waits for
    this admission, has its own host entries, and a queued step on it would
    wait for that highstate.  Every step queues (queue: true) behind other
    jobs on its targets.
#}
{%- from "openstack/hostmap.jinja" import everyone, controller, computes, brick_hosts, target with context %}
{%- set new = pillar.get('compute') %}

{%- if new is not none and new not in computes %}
enrol-refused:
  test.fail_without_changes:
    - name: {{ ('not enrolling ' ~ new ~ ': pillar openstack:hosts does not list it with the compute role') | json }}
{%- else %}

enrol-validate-pillar:
  salt.function:
    - name: openstack_pillar.validate
{{- target(controller) }}

enrol-hosts:
  salt.state:
    - sls: common.hosts
{{- target(everyone | reject('equalto', new) | list) }}
    - queue: true
    - require:
      - salt: enrol-validate-pillar

enrol-gluster-volume:
  salt.state:
    - sls: glusterfs.volume
{{- target(brick_hosts[:1]) }}
    - queue: true
    - require:
      - salt: enrol-hosts
{%- endif %}
