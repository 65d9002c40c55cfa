{%- from "ovn/map.jinja" import ovn with context %}
{%- from "ovn/macros.jinja" import ovn_tls_files with context %}
# The host's certificate and key for OVN's own daemons (ovn/defaults.yaml,
# tls_dir): the controller's databases serve with them, every chassis'
# ovn-controller connects with them; the cloud's CA verifies the peer on
# both sides.  A directory root owns and no service user can write.
ovn-tls-dir:
  file.directory:
    - name: {{ ovn.tls_dir }}
    - user: root
    - group: root
    - mode: '0755'
    - makedirs: true
{{ ovn_tls_files('ovn-tls', ovn.tls_dir, ovn.tls_group, [{'file': 'ovn-tls-dir'}]) }}
