# The last state of a compute's highstate: a freshly installed compute asks
# the master to enrol it (reactor -> orchestrate openstack.enrol: brick into
# the GlusterFS volume, SSH trust between computes, discovery into the
# cell).  Fires only when nova-compute was installed by this run.
include:
  - nova.compute

nova-enrol-request:
  event.send:
    - name: openstack/compute/enrol
    - data:
        id: {{ grains['id'] }}
    - onchanges:
      - pkg: nova-compute-packages
