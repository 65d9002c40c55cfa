# The last state of a compute's highstate: a compute that is not enrolled
# yet asks the master to enrol it (reactor -> orchestrate openstack.enrol:
# brick into the GlusterFS volume, SSH trust between computes, discovery
# into the cell).  It asks on every highstate until it is enrolled: the
# grain openstack_enrolled, set by openstack.enrol at its end and by the
# openstack orchestration for every compute, once the compute is mapped and
# trusted.  A failed enrolment is thus asked for again by the next
# highstate.  Only once its nova-compute runs: the enrolment waits for it
# to register.
include:
  - nova.compute
{%- if not grains.get('openstack_enrolled') %}

nova-enrol-request:
  event.send:
    - name: openstack/compute/enrol
    - data:
        id: {{ grains['id'] }}
    - require:
      - service: nova-compute-service
{%- endif %}
