{%- from "neutron/map.jinja" import neutron with context %}
{%- from "ovn/macros.jinja" import ovn_tls_files with context %}
# Neutron's copy of the host's certificate and key for OVN's databases
# (mutual TLS, ovn/central.sls): neutron-server's ML2/OVN driver and the
# OVN metadata agent present it and verify the databases' with the CA
# (neutron/ovn.jinja's options).  They read the files at start: their
# services watch the three file states (neutron-ovn-tls-*).
neutron-common-packages:
  pkg.installed:
    - pkgs: {{ neutron.common_packages | json }}
{{ ovn_tls_files('neutron-ovn-tls', neutron.tls_dir, neutron.group, [{'pkg': 'neutron-common-packages'}]) }}
