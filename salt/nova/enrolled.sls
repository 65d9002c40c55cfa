# A compute that is mapped into the cell and trusted for live migration
# stops asking to be enrolled (nova.enrol fires its request while this
# grain is absent).  Applied by the openstack orchestration to every
# compute and by openstack.enrol to the compute it enrolled; a state, not
# grains.setval, so that a second run reports no change.
nova-enrolled-grain:
  grains.present:
    - name: openstack_enrolled
    - value: true
