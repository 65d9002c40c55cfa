{%- from "libvirt/map.jinja" import libvirt with context %}
include:
  - libvirt.package
{#-
    No TCP listener is configured: live migration's control connection
    goes through SSH as the nova user (see nova.migration), so libvirtd
    keeps only its local unix sockets; the migration stream itself is
    QEMU's own TLS (libvirt.tls).  The settings: libvirt/map.jinja.
#}
{%- for option, value in libvirt.qemu_settings | dictsort %}

libvirt-qemu-config-{{ option }}:
  file.replace:
    - name: {{ libvirt.qemu_conf }}
    # [ \t], not \s: \s also matches the newline, so the pattern took in
    # the comment line above and each run deleted one more of them.
    - pattern: '^#?[ \t]*{{ option }}[ \t]*=.*$'
    - repl: '{{ option }} = {{ value }}'
    - append_if_not_found: true
    # The package ships the file; a dry run before it is installed has none.
    - ignore_if_missing: {{ opts.get('test', False) | json }}
    - require:
      - pkg: libvirt-packages
{%- endfor %}
