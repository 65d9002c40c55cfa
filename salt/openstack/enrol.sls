{#-
    salt-run state.orchestrate openstack.enrol pillar='{"compute": "compute3"}'

    The controller-side part of adding a compute, run by the reactor when a
    new compute's highstate fires openstack/compute/enrol (or by hand):
    its brick joins the GlusterFS volume, every compute trusts its SSH key
    for live migration, and the controller maps it into cell1 once its
    nova-compute service has registered.

    Every state step queues (queue: true): two enrolments asked for at
    once (several new computes, or a compute asking again while its first
    request runs) or a highstate still running on a host wait for each
    other instead of failing with "already running".
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

# Every host learns the new host's name first: peer probe, mounts and
# live migration use host names.
enrol-hosts:
  salt.state:
    - sls: common.hosts
{{- target(everyone) }}
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

enrol-migration-keys:
  salt.function:
    - name: mine.update
{{- target(computes) }}
    - require:
      - salt: enrol-validate-pillar

enrol-migration-trust:
  salt.state:
    - sls: nova.migration
{{- target(computes) }}
    - queue: true
    - require:
      - salt: enrol-migration-keys

enrol-discover-hosts:
  salt.state:
    - sls: nova.discover
{{- target(controller) }}
    - queue: true
    - require:
      - salt: enrol-gluster-volume

# Mapped and trusted: the compute stops asking (nova.enrol fires while
# this grain is absent).  Every step above is idempotent, so an enrolment
# asked for again, or run by hand, redoes nothing that is in place.
enrol-mark-enrolled:
  salt.state:
    - sls: nova.enrolled
{{- target([new] if new else computes) }}
    - queue: true
    - require:
      - salt: enrol-discover-hosts
      - salt: enrol-migration-trust
{%- endif %}
