{#-
    salt-run state.orchestrate openstack.enrol pillar='{"compute": "compute3"}'

    The controller-side part of adding a compute, run by the reactor when a
    new compute's highstate fires openstack/compute/enrol (or by hand): it
    is admitted to the GlusterFS volume (openstack.admit), every compute
    trusts its SSH key for live migration, and the controller maps it into
    cell1 once its nova-compute service has registered.

    openstack.admit, its first part, is also run alone, earlier, by the
    reactor when the new compute's mount waits for the volume to admit it.

    Every state step queues (queue: true): two enrolments asked for at
    once (several new computes, or a compute asking again while its first
    request runs) or a highstate still running on a host wait for each
    other instead of failing with "already running".
#}
{%- from "openstack/hostmap.jinja" import computes, controller, target with context %}
{%- set new = pillar.get('compute') %}
# Admission first: host names everywhere, the brick and auth.allow
# (openstack.admit; also what refuses a minion that is not a compute).
include:
  - openstack.admit
{%- if new is none or new in computes %}

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
