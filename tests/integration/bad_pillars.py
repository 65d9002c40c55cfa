"""
Bad pillars, each a small edit of the shipped example, and the pillar key
the refusal must name.  Shared by the integration tests (through the real
master) and a unit test that checks the validator itself names the key.
"""
import copy


def _set(path, value):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _delete(path):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return edit


def _operator_pair(host, **dates):
    """An edit giving ``host`` an operator's certificate for its public
    endpoints (openstack:tls:public), signed by an operator CA made here;
    ``dates``: not_before/not_after as offsets in days from now;
    ``foreign_key``: the key of another certificate."""
    def edit(data):
        from operator_pki import DAY, NOW, Issuer  # noqa: PLC0415 - tests/, made on use

        ca = Issuer("Operator CA")
        foreign = dates.pop("foreign_key", False)
        cert, key = ca.issue([host], **{name: NOW + days * DAY for name, days in dates.items()})
        if foreign:
            key = ca.issue([host])[1]
        data["tls"] = {"days": 365, "public_ca": ca.pem,
                       "public": {host: {"cert": cert, "key": key}}}

    return edit


# id -> (edit of the `openstack` pillar, key that the error must name)
CASES = {
    "invalid-ip": (_set(("hosts", "compute1", "address"), "192.168.56.300"), "openstack:hosts:compute1:address"),
    "invalid-cidr": (_set(("networks", "management", "cidr"), "192.168.56.0/33"), "openstack:networks:management:cidr"),
    "overlapping-networks": (_set(("networks", "selfservice", "cidr"), "192.168.56.128/25"), "openstack:networks:selfservice:cidr"),
    "missing-password": (_delete(("passwords", "nova")), "openstack:passwords:nova"),
    "empty-password": (_set(("passwords", "rabbitmq"), ""), "openstack:passwords:rabbitmq"),
    "missing-memcache-secret-key": (_delete(("passwords", "memcache_secret_key")), "openstack:passwords:memcache_secret_key"),
    "short-horizon-secret-key": (_set(("passwords", "horizon_secret_key"), "example-horizon-secret-key"), "openstack:passwords:horizon_secret_key"),
    "empty-memcache-secret-key": (_set(("passwords", "memcache_secret_key"), ""), "openstack:passwords:memcache_secret_key"),
    "host-without-roles": (_set(("hosts", "compute2", "roles"), []), "openstack:hosts:compute2:roles"),
    "unknown-role": (_set(("hosts", "gateway", "roles"), ["gateway", "storage"]), "openstack:hosts:gateway:roles"),
    "no-controller": (_set(("hosts", "controller", "roles"), ["gateway"]), "openstack:hosts"),
    "two-controllers": (_set(("hosts", "compute2", "roles"), ["compute", "controller"]), "openstack:hosts"),
    "replica-over-bricks": (_set(("gluster", "replica"), 3), "openstack:gluster:replica"),
    "duplicate-address": (_set(("hosts", "compute2", "address"), "192.168.56.21"), "openstack:hosts:compute2:address"),
    "address-outside-management": (_set(("hosts", "compute1", "address"), "10.1.1.21"), "openstack:hosts:compute1:address"),
    "invalid-provider-gateway": (_set(("networks", "provider", "gateway"), "203.0.113.999"), "openstack:networks:provider:gateway"),
    "allocation-outside-provider": (_set(("networks", "provider", "allocation_end"), "198.51.100.9"), "openstack:networks:provider:allocation_end"),
    "arbiter-without-replica-3": (_set(("gluster", "arbiter"), True), "openstack:gluster:arbiter"),
    "unknown-virt-type": (_set(("nova", "virt_type"), "xen"), "openstack:nova:virt_type"),
    "bad-interface-name": (_set(("networks", "management", "interface"), "eth 1"), "openstack:networks:management:interface"),
    "zero-workers": (_set(("workers", "api"), 0), "openstack:workers:api"),
    "no-hosts": (_delete(("hosts",)), "openstack:hosts"),
    "unknown-datapath-type": (_set(("networks", "datapath_type"), "dpdk"), "openstack:networks:datapath_type"),
    "retired-vxlan-vni-ranges": (_set(("networks", "vxlan_vni_ranges"), "1:1000"), "openstack:networks:vxlan_vni_ranges"),
    "bad-geneve-vni-ranges": (_set(("networks", "geneve_vni_ranges"), "0:10"), "openstack:networks:geneve_vni_ranges"),
    "shell-in-region": (_set(("region",), "R1;touch /tmp/pwned"), "openstack:region"),
    "network-names-alike": (_set(("networks", "selfservice", "name"), "provider"), "openstack:networks:selfservice:name"),
    "system-brick-dir": (_set(("gluster", "brick_dir"), "/etc"), "openstack:gluster:brick_dir"),
    "gluster-auth-allow-everyone": (_set(("gluster", "options", "auth.allow"), "*"), "openstack:gluster:options:auth.allow"),
    "migration-tls-not-deployed": (_set(("nova", "live_migration_scheme"), "tls"), "openstack:nova:live_migration_scheme"),
    "operator-cert-expired": (_operator_pair("controller", not_before=-10, not_after=-1), "openstack:tls:public:controller:cert"),
    "operator-key-not-the-certs": (_operator_pair("gateway", foreign_key=True), "openstack:tls:public:gateway:key"),
    "operator-cert-for-a-compute": (_operator_pair("compute1"), "openstack:tls:public:compute1"),
}


def bad_pillar(example, case):
    """A deep copy of the example ``openstack`` pillar with ``case`` applied."""
    data = copy.deepcopy(example)
    CASES[case][0](data)
    return data
