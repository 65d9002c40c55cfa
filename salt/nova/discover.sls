{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set computes = topo.computes | join(' ') %}
# Runs on the controller.  A compute is mapped into cell1 only after its
# nova-compute service has registered: a bounded poll of the service table
# (up to 5 minutes) comes first, then one discover_hosts.  Nothing runs when
# every compute is already mapped.
# The admin credentials written by keystone.identity (the controller step of
# the orchestration); fail loudly here if they are missing.  A dry run
# (test=True) of a new deployment has not written them yet: skip the check.
{%- if not opts.get('test') %}
nova-discover-admin-openrc:
  file.exists:
    - name: /root/admin-openrc
{%- endif %}

nova-wait-computes-registered:
  cmd.run:
    - name: >-
        . /root/admin-openrc;
        for i in $(seq 60); do
        registered=$(openstack compute service list --service nova-compute -f value -c Host);
        missing=;
        for h in {{ computes }}; do echo "$registered" | grep -qx "$h" || missing="$missing $h"; done;
        [ -z "$missing" ] && exit 0;
        sleep 5;
        done;
        echo "nova-compute not registered after 300 s on:$missing" >&2; exit 1
    - shell: /bin/bash
    - unless: >-
        hosts=$(nova-manage cell_v2 list_hosts 2>/dev/null);
        for h in {{ computes }}; do echo "$hosts" | grep -qw "$h" || exit 1; done
{%- if not opts.get('test') %}
    - require:
      - file: nova-discover-admin-openrc
{%- endif %}

nova-hosts-discovered:
  nova_manage.hosts_discovered:
    - name: cell1
    - config_file: {{ nova.config_file }}
    - require:
      - cmd: nova-wait-computes-registered
