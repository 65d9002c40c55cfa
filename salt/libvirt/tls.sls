{%- from "libvirt/map.jinja" import libvirt with context %}
{%- from "common/tls.jinja" import tls_files with context %}
# The migration stream over QEMU's own TLS (nova's
# live_migration_with_native_tls): this host's certificate from the
# master's CA serves as QEMU's server certificate (incoming migration) and
# client certificate (outgoing), and the CA verifies the peer's.  QEMU
# reads the files when a migration starts: no restart on a renewal.
include:
  - libvirt.package

libvirt-migrate-tls-dir:
  file.directory:
    - name: {{ libvirt.migrate_tls_dir }}
    - user: root
    - group: root
    - mode: '0755'
    - makedirs: true
    - require:
      - pkg: libvirt-packages
{{ tls_files('libvirt-migrate-tls', libvirt.migrate_tls_dir, libvirt.qemu_group,
             {'ca': ('ca-cert.pem', 'ca_cert'),
              'server-cert': ('server-cert.pem', 'cert'), 'server-key': ('server-key.pem', 'key'),
              'client-cert': ('client-cert.pem', 'cert'), 'client-key': ('client-key.pem', 'key')},
             [{'file': 'libvirt-migrate-tls-dir'}]) }}
