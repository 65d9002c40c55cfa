"""
Keep Nova flavors, Neutron networks, subnets, routers and security groups,
Glance images, Cinder volume types and projects' quotas as declared. The
work is done by the ``openstack_cloud`` execution module, whose
documentation says what each state corrects in place and what it refuses
(and why), and how the credentials are given.

.. code-block:: yaml

    m1.small:
      openstack_cloud.flavor_present:
        - vcpus: 1
        - ram: 2048
        - disk: 20
        - extra_specs: {"hw:cpu_policy": shared}
        - auth_url: http://controller:5000/v3   # else from openstack_cloud:auth
        - password: {{ pillar['openstack']['passwords']['admin'] | json }}

    selfservice:
      openstack_cloud.network_present: []

    selfservice-subnet:
      openstack_cloud.subnet_present:
        - name: selfservice
        - network: selfservice
        - cidr: 172.16.1.0/24
        - require:
          - openstack_cloud: selfservice

Every state returns the changes the module made (or, with ``test=True``,
would make: result ``None``, nothing written); a second run reports none.
A change the service cannot make in place fails the state and changes
nothing. In a dry run of a deployment whose Keystone, Nova or Neutron is
not installed or not serving yet, the states answer ``None`` with the
reason. No password or token appears in a return.
"""
import functools

import salt.utils.args
from salt.exceptions import CommandExecutionError

try:
    import saltext_openstack_api as api
    import saltext_openstack_cloud as cp
    import saltext_openstack_schema as schema
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api
    from saltext_openstack._utils import saltext_openstack_cloud as cp
    from saltext_openstack._utils import saltext_openstack_schema as schema

__virtualname__ = "openstack_cloud"

_KINDS = {
    "flavor_present": "flavor",
    "network_present": "network",
    "subnet_present": "subnet",
    "router_present": "router",
    "security_group_present": "security_group",
    "image_present": "image",
    "volume_type_present": "volume_type",
    "quota_present": "quota",
    "compute_drain": "compute",
    "compute_forget": "compute",
}


def __virtual__():
    if "openstack_cloud.flavor_present" in __salt__:
        return __virtualname__
    return (False, "the openstack_cloud execution module is not available")


def _summary(kind, name, changes, test):
    """``Created flavor m1.nano`` / ``Would update network provider: mtu, shared``."""
    label = "{} {}".format(kind.replace("_", " "), name)
    marker = changes.get(kind)
    if isinstance(marker, dict) and marker.get("old") is None:
        verb = "create"
    elif isinstance(marker, str) and marker.startswith("replaced"):
        verb = "replace"
    else:
        verb = "update"
    details = sorted(key for key in changes if key != kind)
    text = ("Would {} " if test else "{}d ").format(verb).capitalize() + label
    if details and verb != "create":
        text += ": " + ", ".join(details)
    return text


def _auth(kwargs):
    """The authentication arguments of a state's keyword arguments (Salt's
    own ``__id__``... removed, and ``test``: a state's is in __opts__)."""
    auth = salt.utils.args.clean_kwargs(**kwargs)
    auth.pop("test", None)
    return auth


def _apply(function, name, args, kwargs, describe=None):
    """``openstack_cloud.<function>``'s changes as a state return;
    ``describe(changes, test)`` words the comment (default ``_summary``)."""
    kind = _KINDS[function]
    label = "{} {}".format(kind.replace("_", " "), name)
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    test = bool(__opts__.get("test"))
    auth = _auth(kwargs)
    try:
        changes = __salt__["openstack_cloud." + function](name, test=test, **args, **auth)
    except CommandExecutionError as exc:
        # A dry run of a new cloud: its services are only "to be
        # installed/started", and the admin's password "to be bootstrapped",
        # by the states before this one.  The errors say so by their type:
        # not_ready (no answer, a refused login), or no catalog entry yet.
        if test and (schema.is_not_ready(exc) or isinstance(exc, api.NotInCatalog)):
            ret["result"] = None
            until = "the admin logs in" if getattr(exc, "status", None) == 401 else "the cloud answers"
            ret["comment"] = f"Would create or check {label} once {until} ({exc})"
            return ret
        ret["result"] = False
        ret["comment"] = str(exc)
        return ret
    if not changes:
        ret["comment"] = f"{label[0].upper()}{label[1:]} is as declared"
        return ret
    ret["changes"] = changes
    ret["result"] = None if test else True
    ret["comment"] = (describe or functools.partial(_summary, kind, name))(changes, test)
    return ret


def flavor_present(name, vcpus, ram, disk, ephemeral=0, swap=0, public=True, description=None,
                   extra_specs=None, flavor_id=None, **kwargs):  # fmt: skip
    """
    Make sure the Nova flavor ``name`` has these sizes, description and
    extra specs (see ``openstack_cloud.flavor_present``). Sizes cannot
    change in place: a flavor no server uses is replaced (same id), a used
    one fails the state, unchanged.

    .. code-block:: yaml

        m1.nano:
          openstack_cloud.flavor_present:
            - vcpus: 1
            - ram: 128
            - disk: 1
    """
    args = {"vcpus": vcpus, "ram": ram, "disk": disk, "ephemeral": ephemeral, "swap": swap,
            "public": public, "description": description, "extra_specs": extra_specs,
            "flavor_id": flavor_id}  # fmt: skip
    return _apply("flavor_present", name, args, kwargs)


def network_present(name, project=None, shared=None, external=None, mtu=None,
                    provider_network_type=None, provider_physical_network=None,
                    provider_segmentation_id=None, admin_state_up=None,
                    port_security_enabled=None, description=None, **kwargs):  # fmt: skip
    """
    Make sure the Neutron network ``name`` has these attributes (see
    ``openstack_cloud.network_present``); a provider attribute that differs
    fails the state, unchanged.

    .. code-block:: yaml

        provider:
          openstack_cloud.network_present:
            - shared: true
            - external: true
            - provider_network_type: flat
            - provider_physical_network: provider
    """
    args = {"project": project, "shared": shared, "external": external, "mtu": mtu,
            "provider_network_type": provider_network_type,
            "provider_physical_network": provider_physical_network,
            "provider_segmentation_id": provider_segmentation_id,
            "admin_state_up": admin_state_up, "port_security_enabled": port_security_enabled,
            "description": description}  # fmt: skip
    return _apply("network_present", name, args, kwargs)


def subnet_present(name, network, cidr, project=None, gateway_ip=None, allocation_pools=None,
                   dns_nameservers=None, enable_dhcp=None, host_routes=None, description=None,
                   **kwargs):  # fmt: skip
    """
    Make sure the Neutron subnet ``name`` of ``network`` has this CIDR and
    these settings (see ``openstack_cloud.subnet_present``); a different
    CIDR fails the state, unchanged.

    .. code-block:: yaml

        provider-subnet:
          openstack_cloud.subnet_present:
            - name: provider
            - network: provider
            - cidr: 203.0.113.0/24
            - gateway_ip: 203.0.113.1
            - allocation_pools: [{start: 203.0.113.100, end: 203.0.113.199}]
    """
    args = {"network": network, "cidr": cidr, "project": project, "gateway_ip": gateway_ip,
            "allocation_pools": allocation_pools, "dns_nameservers": dns_nameservers,
            "enable_dhcp": enable_dhcp, "host_routes": host_routes,
            "description": description}  # fmt: skip
    return _apply("subnet_present", name, args, kwargs)


def router_present(name, project=None, external_network=None, enable_snat=None, interfaces=None,
                   admin_state_up=None, description=None, **kwargs):  # fmt: skip
    """
    Make sure the Neutron router ``name`` has its gateway on
    ``external_network`` and an interface on each subnet of ``interfaces``
    (see ``openstack_cloud.router_present``).

    .. code-block:: yaml

        router:
          openstack_cloud.router_present:
            - external_network: provider
            - interfaces: [selfservice]
    """
    args = {"project": project, "external_network": external_network,
            "enable_snat": enable_snat, "interfaces": interfaces,
            "admin_state_up": admin_state_up, "description": description}  # fmt: skip
    return _apply("router_present", name, args, kwargs)


def security_group_present(name, project=None, description=None, rules=None,
                           remove_unlisted=False, **kwargs):  # fmt: skip
    """
    Make sure the Neutron security group ``name`` has the listed rules,
    and only those with ``remove_unlisted`` (see
    ``openstack_cloud.security_group_present``).

    .. code-block:: yaml

        default:
          openstack_cloud.security_group_present:
            - rules:
              - {protocol: icmp}
              - {protocol: icmp, icmp_type: 8, remote_ip_prefix: 10.0.0.0/8}
              - {protocol: tcp, port: 22}
    """
    args = {"project": project, "description": description, "rules": rules,
            "remove_unlisted": remove_unlisted}  # fmt: skip
    return _apply("security_group_present", name, args, kwargs)


def image_present(name, filename, disk_format="qcow2", container_format="bare",
                  visibility="public", kernel=None, ramdisk=None, properties=None,
                  **kwargs):  # fmt: skip
    """
    Make sure the Glance image ``name`` holds the data of ``filename`` (a
    downloaded file), with these formats, visibility, kernel and ramdisk
    (by image name) and properties (see ``openstack_cloud.image_present``).
    A partial upload, or data that is not the file's, is replaced; other
    formats for the same data fail the state, unchanged.

    .. code-block:: yaml

        cirros-file:
          file.managed:
            - name: /var/cache/salt-openstack-images/cirros
            - source: http://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img
            - source_hash: sha256=...
            - replace: false

        cirros:
          openstack_cloud.image_present:
            - filename: /var/cache/salt-openstack-images/cirros
            - disk_format: qcow2
            - properties: {os_distro: cirros}
            - require:
              - file: cirros-file
    """
    args = {"filename": filename, "disk_format": disk_format,
            "container_format": container_format, "visibility": visibility,
            "kernel": kernel, "ramdisk": ramdisk, "properties": properties}  # fmt: skip
    return _apply("image_present", name, args, kwargs)


def volume_type_present(name, public=True, description=None, extra_specs=None, **kwargs):
    """
    Make sure the Cinder volume type ``name`` is public (or not), with this
    description and (at least) these extra specs (see
    ``openstack_cloud.volume_type_present``).

    .. code-block:: yaml

        ceph:
          openstack_cloud.volume_type_present:
            - extra_specs: {volume_backend_name: ceph}
    """
    args = {"public": public, "description": description, "extra_specs": extra_specs}
    return _apply("volume_type_present", name, args, kwargs)


def quota_present(name, **limits):
    """
    Make sure project ``name`` has these Nova and Neutron quotas (-1:
    unlimited; see ``openstack_cloud.quota_present`` for the names); the
    limits not given are not managed.

    .. code-block:: yaml

        demo:
          openstack_cloud.quota_present:
            - cores: 20
            - instances: 10
            - ram: 51200
            - ports: 100
    """
    args = {k: limits.pop(k) for k in list(limits) if k in cp.QUOTA_FIELDS}
    return _apply("quota_present", name, args, limits)


def healthy(name, service_types=None, computes=None, **kwargs):
    """
    The cloud answers as the guide's verification asks (see
    ``openstack_cloud.health``): read-only, never a change.  Fails with
    every problem found; ``test=True`` checks nothing and answers ``None``
    (a dry run of a new cloud has nothing to ask yet).

    .. code-block:: yaml

        cloud-verify:
          openstack_cloud.healthy:
            - service_types: [identity, image, placement, compute, network, volumev3]
            - computes: [compute1, compute2]
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    if __opts__.get("test"):
        ret.update(result=None, comment="The cloud's services, computes, network agents and "
                                        "images would be checked (read-only)")
        return ret
    try:
        found = __salt__["openstack_cloud.health"](service_types=service_types or [],
                                                   computes=computes or [], **_auth(kwargs))
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"The cloud does not answer: {exc}")
        return ret
    if found["problems"]:
        ret.update(result=False, comment="; ".join(found["problems"]))
    else:
        ret["comment"] = found["summary"][0].upper() + found["summary"][1:]
    return ret


def _day2_comment(name, doing, done, changes, test):
    parts = []
    for key, values in sorted(changes.items()):
        if isinstance(values, list):
            parts.append(f"{key.replace('_', ' ')}: {', '.join(values)}")
        else:
            parts.append(key)
    return (f"Would {doing}" if test else done) + f" {name}: " + "; ".join(parts)


def compute_drained(name, timeout=600, **kwargs):
    """
    Compute ``name`` takes no new servers and runs none: its nova-compute
    service is disabled and its servers live-migrate to the other computes
    (``openstack_cloud.compute_drain``).  Refused, with nothing changed,
    when a server is not running or the other computes lack the room.
    The first step of retiring a compute (orchestration openstack.retire).

    .. code-block:: yaml

        drain-compute3:
          openstack_cloud.compute_drained:
            - name: compute3
    """
    return _apply("compute_drain", name, {"timeout": timeout}, kwargs,
                  functools.partial(_day2_comment, name, "drain", "Drained"))


def compute_absent(name, only_if_down=False, **kwargs):
    """
    Nova, placement and Neutron hold nothing of compute ``name``: no
    nova-compute service record, no resource provider, no network agent
    (``openstack_cloud.compute_forget``).  Refused while servers are on it.
    Run once its services are stopped (retire) or its machine is gone
    (replace): a nova-compute still running registers itself again.
    ``only_if_down``: leave a compute Nova reports up alone (replacing a
    dead compute: the old machine alive, or its replacement registered).

    .. code-block:: yaml

        forget-compute3:
          openstack_cloud.compute_absent:
            - name: compute3
    """
    return _apply("compute_forget", name, {"only_if_down": only_if_down}, kwargs,
                  functools.partial(_day2_comment, name, "forget", "Forgot"))
