"""
What every part of cluster/verify.py shares: the deployment's names (the
credentials file, the instances directory, the nova services and OVN
agents the formulas set up; the catalog and the service users come from
the model: parse.catalog), the check list (numbers, names, titles; the
default set) and the exceptions a check raises for a result other than
PASS.
"""


OPENRC = "/root/admin-openrc"
INSTANCES_DIR = "/var/lib/nova/instances"

INTERFACES = ("public", "internal", "admin")

# Which nova services / neutron agents each role runs (salt/top.sls).
NOVA_SERVICES = {
    "controller": ("nova-conductor", "nova-scheduler"),
    "compute": ("nova-compute",),
}
# Neutron's agent list under ML2/OVN (neutron/common/ovn/constants.py):
# one entry per OVN chassis, host = the chassis' hostname.  A chassis with
# ovn-cms-options enable-chassis-as-gw is listed as the gateway agent
# instead of the controller agent.  Routing, DHCP and metadata are OVN's
# own: no L3, DHCP or linuxbridge agent belongs in the list.
OVN_CONTROLLER_AGENT = "OVN Controller agent"
OVN_CONTROLLER_GW_AGENT = "OVN Controller Gateway agent"
OVN_METADATA_AGENT = "OVN Metadata agent"
OVN_AGENT_TYPES = (OVN_CONTROLLER_AGENT, OVN_CONTROLLER_GW_AGENT, OVN_METADATA_AGENT,
                   "OVN Neutron agent")
# The OVN metadata agent's namespace for a network, on every compute with a
# port of it: ovnmeta-<network uuid> (neutron/agent/ovn/metadata/agent.py).
OVN_METADATA_NS_PREFIX = "ovnmeta-"

# (number, name, title); number None: an extra check without a number.
CHECKS = (
    (1, "identity", "identity: users, catalog, tokens"),
    (2, "image", "test image active in Glance"),
    (3, "services", "nova services and OVN agents up"),
    (4, "boot", "instance boots: DHCP, user-data, SSH key"),
    (5, "secgroups", "security groups: ping + ssh from OVN ns"),
    (13, "floatingip", "floating IP reached from provider side"),
    (6, "storage", "GlusterFS shared instances directory"),
    (7, "migration", "live migration keeps the guest running"),
    (8, "idempotency", "orchestration re-run changes nothing"),
    (9, "scaleout", "added compute works"),
    (10, "faults", "compute down: files still readable"),
    (None, "heal", "GlusterFS volume healed"),
    (11, "blockstorage", "Cinder volume create and attach"),
    (12, "secrets", "passwords: not leaked, per role, config 0640"),
    (None, "resources", "flavors, subnets, security groups as in pillar"),
    (None, "rotation", "every secret rotated: new ones work, old ones refused"),
    (None, "replace", "a dead compute replaced: one record, brick rebuilt, trusted"),
    (None, "retire", "a retired compute: forgotten, brick out, trust gone"),
)
DEFAULT_CHECKS = ("identity", "image", "services", "boot", "secgroups", "floatingip", "storage",
                  "migration", "idempotency", "scaleout", "faults", "heal", "blockstorage", "secrets",
                  "resources", "rotation", "replace", "retire")


class CheckFailed(Exception):
    """The check ran and found the cloud wrong."""


def fail_if(problems):
    """A check's verdict on the problems it found: CheckFailed naming them all, if any."""
    if problems:
        raise CheckFailed("; ".join(problems))


class NoLease(CheckFailed):
    """The guest booted and got no DHCP lease (boot retries this once);
    `host`: the compute it booted on."""

    def __init__(self, message, host=None):
        super().__init__(message)
        self.host = host


class NotRunnable(Exception):
    """This machine cannot run the check (missing kernel support...)."""


class Skipped(Exception):
    """The check was not run (needs an argument, or a failed prerequisite)."""
