{#-
    The controller's install lane (issue 14), the first state of the
    orchestration's controller step: the packages of the controller's
    formulas in one apt transaction, instead of one transaction per
    formula between its configuration states (each one a dpkg run with
    its own triggers).  The package lists are the formulas' own maps.
    Nothing else changes: policy-rc.d (common/package.sls, the step
    before) holds the OpenStack services' starts as it does when each
    formula installs its packages; each formula's pkg.installed then
    finds its packages in place.

    First nova.user: the nova user and group with the cloud's uid and gid
    (topology nova:uid/gid, shared with the computes' GlusterFS volume),
    before these packages make their own system users, one of which could
    otherwise take a pinned id in the system range (the example's 64060
    is outside it; a pillar may pin, say, RDO's 162).  Left to its
    formula: nova's packages, which find the configuration it writes
    first.  Every later run: already installed, no changes.
#}
{%- from "mariadb/map.jinja" import mariadb with context %}
{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
{%- from "memcached/map.jinja" import memcached with context %}
{%- from "keystone/map.jinja" import keystone with context %}
{%- from "glance/map.jinja" import glance with context %}
{%- from "placement/map.jinja" import placement with context %}
{%- from "ovn/map.jinja" import ovn with context %}
{%- from "neutron/map.jinja" import neutron with context %}
{%- from "cinder/map.jinja" import cinder with context %}
{%- from "tls_proxy/map.jinja" import tls_proxy with context %}
include:
  - nova.user
{%- set packages = [] %}
{%- for some in (mariadb.packages, rabbitmq.packages, memcached.packages,
                 keystone.packages, glance.packages, placement.packages,
                 ovn.central_packages, neutron.common_packages,
                 neutron.server_packages, cinder.packages, [tls_proxy.package]) %}
{%-   for package in some if package not in packages %}
{%-     do packages.append(package) %}
{%-   endfor %}
{%- endfor %}

openstack-controller-packages:
  pkg.installed:
    - pkgs: {{ packages | json }}
    - require:
      - user: nova-user
