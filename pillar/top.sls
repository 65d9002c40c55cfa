base:
  '*':
    - openstack
