{%- from "cloud/macros.jinja" import os_resource with context %}
# The guide's security-group rules: ICMP and SSH into the admin project's
# default group.
{%- set default_group = "openstack security group list --project admin -f value -c ID -c Name | awk '$2==\"default\"{print $1}'" %}
include:
  - neutron.server
{#- An ICMP rule has no port range: the check looks for any rule's ID (an
    empty "Port Range" column made the check fail, and the second run's
    create answered 409 Conflict). #}
{%- for proto, args in [('icmp', '--protocol icmp'), ('ssh', '--protocol tcp --dst-port 22')] %}
{{ os_resource('cloud-secgroup-rule-' ~ proto,
    'openstack security group rule create ' ~ args ~ ' "$(' ~ default_group ~ ')"',
    'openstack security group rule list --ingress --protocol ' ~ ('icmp' if proto == 'icmp' else 'tcp')
    ~ (' -f value -c ID' if proto == 'icmp' else ' -f value -c "Port Range"')
    ~ ' "$(' ~ default_group ~ ')" | grep -q ' ~ ("." if proto == 'icmp' else '"^22:22$"'),
    []) }}
{%- endfor %}
