{#-
    salt-run state.orchestrate openstack.enrol pillar='{"compute": "compute3"}'

    The controller-side part of adding a compute, run by the reactor when a
    new compute's highstate fires openstack/compute/enrol (or by hand):
    its brick joins the GlusterFS volume, every compute trusts its SSH key
    for live migration, and the controller maps it into cell1 once its
    nova-compute service has registered.
#}
{%- set hosts = pillar.get('openstack', {}).get('hosts', {}) %}
{%- set ns = namespace(controller=[], computes=[]) %}
{%- for id, host in hosts | dictsort %}
{%-   set roles = host.get('roles', []) if host is mapping else [] %}
{%-   if 'controller' in roles %}{% set ns.controller = ns.controller + [id] %}{% endif %}
{%-   if 'compute' in roles %}{% set ns.computes = ns.computes + [id] %}{% endif %}
{%- endfor %}
{%- set computes, controller = ns.computes, ns.controller %}
{%- set brick_hosts = pillar.get('openstack', {}).get('gluster', {}).get('brick_hosts') or computes %}
{%- set new = pillar.get('compute') %}

{%- if new is not none and new not in computes %}
enrol-refused:
  test.fail_without_changes:
    - name: {{ ('not enrolling ' ~ new ~ ': pillar openstack:hosts does not list it with the compute role') | json }}
{%- else %}

enrol-validate-pillar:
  salt.function:
    - name: openstack_pillar.validate
    - tgt: {{ controller | join(',') }}
    - tgt_type: list

# Every host learns the new host's name first: peer probe, mounts and
# live migration use host names.
enrol-hosts:
  salt.state:
    - sls: common.hosts
    - tgt: {{ hosts | list | sort | join(',') }}
    - tgt_type: list
    - require:
      - salt: enrol-validate-pillar

enrol-gluster-volume:
  salt.state:
    - sls: glusterfs.volume
    - tgt: {{ brick_hosts[:1] | join(',') }}
    - tgt_type: list
    - require:
      - salt: enrol-hosts

enrol-migration-keys:
  salt.function:
    - name: mine.update
    - tgt: {{ computes | join(',') }}
    - tgt_type: list
    - require:
      - salt: enrol-validate-pillar

enrol-migration-trust:
  salt.state:
    - sls: nova.migration
    - tgt: {{ computes | join(',') }}
    - tgt_type: list
    - require:
      - salt: enrol-migration-keys

enrol-discover-hosts:
  salt.state:
    - sls: nova.discover
    - tgt: {{ controller | join(',') }}
    - tgt_type: list
    - require:
      - salt: enrol-gluster-volume
{%- endif %}
