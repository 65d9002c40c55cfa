{#-
    Master config:
        reactor:
          - 'openstack/compute/enrol':
            - salt://reactor/compute-enrol.sls
    The compute is the minion that sent the event (data['id'], set by the
    master from the minion's authenticated key), never an id the event's
    payload claims.  openstack.enrol refuses a minion that pillar does not
    list as a compute.
#}
compute-enrol:
  runner.state.orchestrate:
    - args:
      - mods: openstack.enrol
      - pillar:
          compute: {{ data['id'] | json }}
