{#-
    Overrides of pillar/openstack.sls for the Vagrant test cluster.

    Computes beyond compute1 and compute2 (which the example pillar has)
    enter the host map once the salt-master has accepted their key
    (COMPUTES=3 vagrant up compute3): the address follows the Vagrantfile,
    192.168.56.(20+N).  A compute whose machine does not exist is never
    listed, so the orchestration never targets an absent minion.
#}
{%- set pki = '/etc/salt/pki/master/minions' %}
{%- set accepted = salt['file.readdir'](pki) if salt['file.directory_exists'](pki) else [] %}
{%- set extra = [] %}
{%- for n in range(3, 80) %}
{%-   if ('compute%d' % n) in accepted %}{% do extra.append(n) %}{% endif %}
{%- endfor %}
openstack:
  nova:
    # No usable hardware virtualisation in these containers: QEMU TCG.
    virt_type: qemu
{%- if extra %}
  hosts:
{%-   for n in extra %}
    compute{{ n }}:
      roles: [compute]
      address: 192.168.56.{{ 20 + n }}
{%-   endfor %}
{%- endif %}
