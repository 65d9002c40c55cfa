{#-
    A phase's pillar overlay, merged over the example and cluster pillars
    while /vagrant/.cluster/pillar-overlay.yaml exists (cluster/run drift
    copies cluster/drift-pillar.yaml there); nothing otherwise.  Rendered
    on the master, which has /vagrant (the option cluster_pillar_overlay
    names another file: the unit tests').
#}
{%- set path = salt['config.get']('cluster_pillar_overlay',
                                  '/vagrant/.cluster/pillar-overlay.yaml') %}
{%- if salt['file.file_exists'](path) %}
{{ salt['file.read'](path) }}
{%- else %}
{}
{%- endif %}
