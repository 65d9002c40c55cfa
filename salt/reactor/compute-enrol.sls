{#-
    Master config:
        reactor:
          - 'openstack/compute/enrol':
            - salt://reactor/compute-enrol.sls
    Only a minion listed as a compute in pillar can trigger its enrolment.
#}
compute-enrol:
  runner.state.orchestrate:
    - args:
      - mods: openstack.enrol
      - pillar:
          compute: {{ data.get('data', {}).get('id', data.get('id')) | json }}
