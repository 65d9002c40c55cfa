{%- from "common/topology.jinja" import topo, passwords, keystone_url, region with context %}
{%- from "common/map.jinja" import common with context %}
{%- set demo = topo.demo %}
{#- OS_CACERT: the cloud's CA while every public certificate is the master
    CA's; with an operator's certificate on a public endpoint (the model's
    tls:public), the system's bundle, which holds the cloud's CA, the
    operator's CAs (common.ca) and the public roots. #}
{%- set operator_public = topo.tls.public.values() | selectattr('issuer', 'equalto', 'operator')
                          | list | length > 0 %}
{#- The catalog: every API of the model (openstack_pillar.endpoints, the one
    service catalog) with its description, its service user and its URLs:
    public over TLS, internal and admin plain HTTP on the management network.
    Keystone's own service (first made by keystone-manage bootstrap) is kept
    here too, so that a changed URL is put right on a running cloud. #}
{%- set config = {'region': region,
                  'projects': {'service': {'description': 'Service Project'},
                               demo.project: {'description': 'Demo Project'} },
                  'roles': ['member', 'reader', 'service'],
                  'users': {},
                  'services': {} } %}
{%- for name, ep in topo.endpoints | dictsort %}
{%-   if ep.user %}
{%-     do config.users.update({ep.user: {'password': passwords[ep.user],
                                           'project': 'service',
                                           'roles': {'service': ['admin', 'service']} } }) %}
{%-   endif %}
{%-   do config.services.update({name: {'type': ep.type,
                                        'description': ep.description,
                                        'endpoints': {'public': ep.public, 'internal': ep.internal,
                                                      'admin': ep.internal} } }) %}
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
        auth_url: {{ topo.endpoints.keystone.public | json }}
        cacert: {{ (common.ca.bundle if operator_public else common.ca.file) | json }}
        region: {{ region | json }}
    - require:
      - keystone_init: keystone-bootstrap
