# openstack.sls holds every secret of the cloud.  The master's
# openstack_secrets ext_pillar narrows openstack:passwords to what each
# minion's roles use; without that filter in place no minion gets this
# pillar at all, and the pillar error says what to configure.  The check
# (a Jinja tag, run while the master renders this file; the YAML comment
# keeps the file plain YAML for linters):
# {% do salt['openstack_pillar.secrets_filter_ready']() %}
base:
  '*':
    - openstack
