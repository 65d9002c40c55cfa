{#-
    The orchestration's install lane (openstack-install): on a compute or
    gateway that has not got its services yet, their configuration and
    packages, while the controller is set up.  Nothing here needs the
    controller, and no OpenStack service starts (policy-rc.d holds the
    packages' own starts; common/package.sls); the role's own step starts
    them once the controller answers.  Two local services do start: Open
    vSwitch and ovn-controller (ovn.chassis, whole: a chassis waits for the
    southbound database by itself, as the gateway's always did in its NAT
    step), and Apache from Horizon's package, with Debian's configuration
    until the gateway's step configures it.

    A part whose service is installed already (every later run, a host that
    failed half-way) is left out (Horizon's packages, which carry no
    configuration, are always asked for: nothing to do once installed): a configuration change must go through
    the role's own step, where the service that watches it restarts.  Salt's
    watch sees only changes made in the same run.
#}
{%- from "common/topology.jinja" import me with context %}
{%- from "nova/map.jinja" import nova with context %}
{%- from "ovn/map.jinja" import ovn with context %}
{%- from "neutron/map.jinja" import neutron with context %}
{%- set parts = [] %}
{%- set roles = me.get('roles', []) %}
{%- if 'compute' in roles %}
{%-   do parts.extend([('nova.compute.install', nova.compute_service),
                       ('ovn.chassis', ovn.controller_service),
                       ('neutron.ovn_metadata.install', neutron.ovn_metadata_service)]) %}
{%- endif %}
{%- if 'gateway' in roles %}
{#- Horizon's packages only: Apache starts from its postinst, so its
    configuration stays with the service in the role's step. #}
{%-   do parts.extend([('nova.consoleproxy.install', nova.consoleproxy_service),
                       ('horizon.package', none)]) %}
{%- endif %}
{%- set todo = [] %}
{%- for sls, service in parts %}
{%-   if service is none or not salt['service.available'](service) %}
{%-     do todo.append(sls) %}
{%-   endif %}
{%- endfor %}
{%- if todo %}
include: {{ todo | json }}
{%- endif %}

openstack-install:
  test.succeed_without_changes:
    - name: {{ (('installing ahead: ' ~ todo | join(', ')) if todo
                else 'installed already: the role steps configure') | json }}
