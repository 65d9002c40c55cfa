{%- from "common/topology.jinja" import topo with context %}
# The last step of the orchestration, on the controller: the guide's
# verification, read-only.  The admin logs in, the catalog lists every
# service, every compute's nova-compute is up, the network agents are alive
# and Glance lists its images.  A verified cloud reports no change (the
# script is stateful: "changed=no"); a failed check fails the state with
# what is wrong.  Nothing is included: it runs after the controller's
# states, and /root/admin-openrc (keystone.identity) is all it reads.

cloud-verify:
  cmd.script:
    - source: salt://cloud/files/verify.sh.jinja
    - template: jinja
    - shell: /bin/bash
    - stateful: true
    - context:
        computes: {{ topo.computes | json }}
        service_types: [identity, image, placement, compute, network, volumev3]
