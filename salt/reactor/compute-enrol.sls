{#-
    Master config:
        reactor:
          - 'openstack/compute/admit':
            - salt://reactor/compute-enrol.sls
          - 'openstack/compute/enrol':
            - salt://reactor/compute-enrol.sls
    openstack/compute/admit (a new compute's mount waits for it: glusterfs
    .admit) runs openstack.admit, openstack/compute/enrol (the end of its
    highstate: nova.enrol) runs openstack.enrol.
    The compute is the minion that sent the event (data['id'], set by the
    master from the minion's authenticated key), never an id the event's
    payload claims.  Both orchestrations refuse a minion that pillar does
    not list as a compute.
#}
{%- set mods = 'openstack.admit' if tag == 'openstack/compute/admit' else 'openstack.enrol' %}
compute-enrol:
  runner.state.orchestrate:
    - args:
      - mods: {{ mods }}
      - pillar:
          compute: {{ data['id'] | json }}
