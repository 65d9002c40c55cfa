{%- from "common/topology.jinja" import topo, passwords, controller, keystone_url, region with context %}
{%- set demo = topo.demo %}
{%- set services = {
      'glance': {'type': 'image', 'description': 'OpenStack Image', 'url': 'http://' ~ controller ~ ':9292'},
      'placement': {'type': 'placement', 'description': 'Placement API', 'url': 'http://' ~ controller ~ ':8778'},
      'nova': {'type': 'compute', 'description': 'OpenStack Compute', 'url': 'http://' ~ controller ~ ':8774/v2.1'},
      'neutron': {'type': 'network', 'description': 'OpenStack Networking', 'url': 'http://' ~ controller ~ ':9696'},
      'cinderv3': {'type': 'volumev3', 'description': 'OpenStack Block Storage', 'url': 'http://' ~ controller ~ ':8776/v3/%(project_id)s', 'user': 'cinder'},
    } %}
{%- set config = {'region': region,
                  'projects': {'service': {'description': 'Service Project'},
                               demo.project: {'description': 'Demo Project'} },
                  'roles': ['member', 'reader', 'service'],
                  'users': {},
                  'services': {} } %}
{%- for name, svc in services | dictsort %}
{%-   set user = svc.get('user', name) %}
{%-   do config.users.update({user: {'password': passwords[user],
                                      'project': 'service',
                                      'roles': {'service': ['admin', 'service']} } }) %}
{%-   do config.services.update({name: {'type': svc.type,
                                        'description': svc.description,
                                        'endpoints': {'public': svc.url, 'internal': svc.url, 'admin': svc.url} } }) %}
{%- endfor %}
{%- do config.users.update({demo.user: {'password': passwords.demo,
                                                        'project': demo.project,
                                                        'roles': {demo.project: ['member']} } }) %}
include:
  - keystone.bootstrap

# Projects, roles, service users and the catalog, declared in one go
# against the Keystone v3 API.  A password edited in pillar is rotated here.
keystone-identity:
  keystone_init.present:
    - name: openstack
    - config: {{ config | json }}
    - auth_url: {{ keystone_url }}/v3
    - username: admin
    - password: {{ passwords.admin | json }}
    - project_name: admin
    - user_domain_name: Default
    - project_domain_name: Default
    - require:
      - keystone_init: keystone-bootstrap

keystone-admin-openrc:
  file.managed:
    - name: /root/admin-openrc
    - source: salt://keystone/files/openrc.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0600'
    - show_changes: false
    - context:
        auth_url: {{ keystone_url }}/v3
        region: {{ region | json }}
    - require:
      - keystone_init: keystone-bootstrap
