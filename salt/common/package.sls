{%- from "common/map.jinja" import common with context %}
{%- if common.no_start_on_install %}

# Debian's packages start their services from postinst, with the packaged
# default configuration: nova-compute then hangs dpkg retrying RabbitMQ on
# localhost, and a service already running when Salt first sees it is only
# enabled, not restarted (a state with changes of its own does not run its
# watch restart), so it keeps the packaged configuration.  Refuse only the
# first "start" of the services Salt manages; stop, restart and reload (and
# so upgrades, and D-Bus/polkit reloads) go through.  This runs before any
# formula installs packages (the orchestration's first step; first in a
# highstate).
common-policy-rc:
  file.managed:
    - name: /usr/sbin/policy-rc.d
    - mode: '0755'
    - contents: |
        #!/bin/sh
        # Managed by Salt (common formula): these services are started by
        # Salt once configured, never by their packages' postinst.
        # policy-rc.d [--quiet] <initscript ID> <actions> [<runlevel>]
        while [ $# -gt 0 ]; do case $1 in --*) shift ;; *) break ;; esac; done
        case $1 in
          {{ common.no_start_on_install | join('|') }})
            for action in $2; do [ "$action" = start ] && exit 101; done ;;
        esac
        exit 0
    - require_in:
      - pkg: common-packages
{%- endif %}
{%- if common.repo_packages %}

common-repo-packages:
  pkg.installed:
    - pkgs: {{ common.repo_packages | json }}
    - require_in:
      - pkg: common-packages
{%- endif %}

common-packages:
  pkg.installed:
    - pkgs: {{ common.packages | json }}
