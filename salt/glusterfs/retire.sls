{%- from "common/topology.jinja" import topo with context %}
{%- set gluster = topo.gluster %}
{#- On a brick host that stays, by openstack.retire and openstack.replace
    (pillar compute: the compute leaving): the volume stops using its
    bricks and the trusted pool forgets it (gluster.host_retired).  A brick
    moves to a compute holding none (replace-brick), else the replica count
    drops by one; refused, with nothing changed, when the others cannot
    hold the volume.  Replace (pillar replace: true) acts only on a host
    the pool sees disconnected, and moves no brick: the new machine takes
    its brick back when it is admitted. #}
{%- set host = pillar.get('compute') %}
{%- set replace = pillar.get('replace') is sameas true %}
{%- if host not in topo.computes or host == grains['id'] %}

glusterfs-retire-refused:
  test.fail_without_changes:
    - name: {{ ('not retiring ' ~ host ~ ' from the volume here: it must be a compute listed in pillar openstack:hosts, other than this host') | json }}
{%- else %}
{%-   set spares = [] %}
{%-   if not replace %}
{%-     for other in topo.computes %}
{%-       if other != host and other not in gluster.brick_hosts %}{% do spares.append(other) %}{% endif %}
{%-     endfor %}
{%-   endif %}

glusterfs-host-retired:
  gluster.host_retired:
    - name: {{ gluster.volume }}
    - host: {{ host | json }}
    - spares: {{ spares | json }}
    - only_if_disconnected: {{ replace }}
{%- endif %}
