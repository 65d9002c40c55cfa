#!/usr/bin/env python3
"""
End-to-end verification of a cloud deployed by this repository's
orchestration (issue 3, "Verify").  Runs ON THE CONTROLLER as root:

    python3 /vagrant/cluster/verify.py [--check NAME[,NAME]] [--json PATH] [--keep]
    python3 cluster/verify.py --report RUN.json... [--json MERGED.json]

Every check is a real API call or command against the running cloud: the
OpenStack APIs through openstacksdk with the admin credentials of
/root/admin-openrc, other hosts through the salt CLI (the controller is the
salt-master), the topology (hosts, roles, GlusterFS volume) from pillar.

Checks (names or numbers for --check; the default runs every check that
needs no argument):

   1 identity      admin and service users, catalog services/endpoints, tokens;
                   every public endpoint (the catalog's, each gateway's
                   dashboard and the console proxy) answers over TLS only,
                   its certificate valid against the CA the model names for
                   its host (tls:public: the cloud's or the operator's)
   2 image         the verification guest (cluster/build-image.sh) is active in
                   Glance with active aki/ari kernel and ramdisk images
   3 services      every nova service up on its host; Neutron (ML2/OVN) lists an
                   alive OVN controller agent per compute (a gateway agent, with
                   the provider bridge mapping, per gateway) named after its
                   minion, an OVN metadata agent per compute and no agent of
                   another kind (L3, DHCP, linuxbridge); every chassis tunnels
                   with Geneve from its management address (southbound Encap);
                   each gateway's dashboard runs openstack:workers:api WSGI
                   processes
   4 boot          an instance on the private network reaches ACTIVE; its console
                   shows the guest's boot line, its DHCP lease (Neutron's address,
                   from OVN's native DHCP: server id = the subnet's gateway, the
                   network's MTU), the user-data and SSH key read from the
                   metadata service (the OVN metadata agent)
   5 secgroups     ICMP + SSH allowed in the default group; the instance answers
                   ping and tcp/22 from the OVN metadata namespace
                   (ovnmeta-<network id>) on its compute, and a port the group
                   does not open is filtered
  13 floatingip    a floating IP from the router's external network on the
                   instance's port (one already there is reused); from the
                   gateway's provider address (on br-ex) the instance answers
                   ping and tcp/22 through it, tcp/23 is filtered
   6 storage       the GlusterFS volume is replicated over the computes, mounted
                   at the instances directory on each; the instance's files are
                   visible from every compute
   7 migration     live migration (no block migration) to another compute; the
                   same guest keeps running there
   8 idempotency   run by the cluster driver (cluster/run re-runs the
                   orchestration); always SKIPPED here
   9 scaleout      --compute NAME: discovered in the cell, brick in the volume,
                   share mounted, an instance boots on it
  10 faults        --stopped HOST: with HOST down, the instance's files are
                   readable from another compute
     heal          GlusterFS heal info shows no pending entries (bounded wait)
  11 blockstorage  Cinder API/scheduler up, each backend's volume type
                   selecting it (volume_backend_name); on one backend (the
                   default type's, or an rbd one's when the lvm backends
                   lack device-mapper or iSCSI, said in the detail): a
                   volume created, attached to the instance, a token verify
                   chose written on it by the guest and read back
                   (O_DIRECT), the instance live-migrated with it attached
                   and the token read again there, detached (gone from the
                   guest), deleted; a bootable volume made from the image,
                   an instance booted from it (root disk vda, its console's
                   boot line and loop), deleted with it; NOT RUNNABLE with
                   lvm backends alone on such a kernel
  12 secrets       no password of the master's pillar (all of them: each
                   minion's is narrowed) nor any host's TLS key (the
                   master CA's; the operator's of openstack:tls:public) in
                   the master's job cache, the
                   orchestration outputs, the controller's Salt logs or any
                   host's process list; no host's pillar holds a secret its
                   roles do not use (openstack_pillar.role_secrets) nor
                   another host's operator TLS key; every
                   host trusts the master's CA (common.ca); every
                   service config file holding a secret is mode 0640, group
                   of its service

     replace       --compute NAME [--checksums FILE]: a compute destroyed and
                   brought up again (cluster/run's replace phase): one
                   nova-compute record, up; one resource provider; its agents
                   alive, one of each; its brick back in the volume, healed,
                   holding the files FILE checksummed before
                   (cluster/instance-checksums.sh); every other compute
                   trusts its new host key, nova reaches it over SSH
     retire        --compute NAME: after openstack.retire, Nova, placement and
                   Neutron have nothing of it, the volume no brick and the
                   pool no peer, the instance runs elsewhere, no other
                   compute trusts its keys

Results: PASS, FAIL, NOT RUNNABLE (the machine cannot run it: never a pass),
SKIPPED (not selected or needs an argument).  Exit status: 0 no FAIL, 1 at
least one FAIL, 2 the verification itself could not start (credentials,
pillar, openstacksdk missing, bad arguments).

The instance (name --server-name), its key pair and the floating IPs verify
created (description "verify.py <server name>") are deleted at the end
unless --keep; a later run reuses a kept ACTIVE instance for the checks that
need one (e.g. the cluster driver: verify --keep, stop a compute, verify
--check faults --stopped compute2 --keep, start it, verify --check heal).
--report merges such runs' JSON files into one table (anywhere, no cloud
needed): a check's latest result other than SKIPPED counts.

The code is in cluster/verifylib/ (its __init__ names each module's part);
this script imports every name from there, so that `import verify`
(dashboard.py, tempest.py, rotation.py, the tests) finds them as before.
"""
import argparse
import os
import signal
import sys
import time

# This directory first: results.py, salt_output.py and the verifylib package
# beside this file, also when verify is loaded by path (the tests).
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
# The reader of gluster's XML answers that the gluster module uses too
# (_utils/saltext_openstack_gluster.py, standard library only; see
# verifylib/parse.py).  The controller's python3 has no saltext_openstack
# package: the repository's _utils/ (/vagrant/_utils) goes on sys.path.
# Where the package is installed (the tests' venv) it has the file, and
# _utils/ stays off sys.path: the modules loaded there later would import
# bare-name copies of every shared file instead of the package's.
try:
    import saltext_openstack._utils  # noqa: F401
except ImportError:
    UTILS = os.path.join(os.path.dirname(HERE), "_utils")
    if UTILS not in sys.path:
        sys.path.append(UTILS)
from salt_output import parse_salt_json  # noqa: E402,F401  cluster/salt_output.py, beside this file
# cluster/results.py, beside this file: the results, the exit statuses and
# the --json document verify, dashboard.py and tempest.py write.
from results import (EXIT_ERROR, EXIT_FAIL, EXIT_OK, FAIL, NOT_RUNNABLE,  # noqa: E402,F401
                     PASS, RESULTS, SKIPPED, exit_code, summarize, verify_document,
                     write_document)

# The names of the package's modules, as verify.py had them: other scripts
# and the tests use them as verify.<name>.
from verifylib.common import (  # noqa: E402,F401
    CHECKS, DEFAULT_CHECKS, INSTANCES_DIR, INTERFACES, NOVA_SERVICES, OPENRC,
    OVN_AGENT_TYPES, OVN_CONTROLLER_AGENT, OVN_CONTROLLER_GW_AGENT, OVN_METADATA_AGENT,
    OVN_METADATA_NS_PREFIX, CheckFailed, NoLease, NotRunnable, Skipped)
from verifylib.parse import (  # noqa: E402,F401
    _ALIVE, _BOOT_ID, _DHCP, _EXPORT, _MARKER, _VOLUME, _shell_value, catalog, key_body, lost_lease,
    model_networks, parse_bridge_mappings, parse_console, parse_gluster_heal_info,
    parse_gluster_volume_info, parse_gluster_volume_status, parse_list_hosts, parse_openrc,
    parse_ovn_encaps, parse_route_get, sdk_auth_args, service_users)
from verifylib.problems import (  # noqa: E402,F401
    ANY_ADDRESS, FLAVOR_FIELDS, LOOPBACK_ADDRESSES, LOOPBACK_ONLY_PORTS, RULE_FIELDS,
    VOLUME_WRITE_KEY, blockstorage_backend, last_loop, volume_io_problem, volume_report, choose_floating_ip, console_problems, encap_problems, expected_neutron_agents, expected_replica,
    flavor_problems, heal_problems, lease_probe_command, loopback_listener_problems, minion_of,
    ovn_tls_probe_command, ovn_tls_problems, provider_side, roles_hosts, rule_problems,
    service_table_problems, short, still_running, subnet_problems, volume_type_problems)
from verifylib.report import (  # noqa: E402,F401
    _wrap, classify, make_result, merge_results, redact, render_table, report, select_checks)
from verifylib.secret_scan import (  # noqa: E402,F401
    CA_TRUST_COMMAND, MASTER_SECRETS_SCRIPT, SECRET_DIRS, SECRET_LINE, TLS_CA_CERT, TLS_CA_DIR,
    TLS_ISSUED_DIR, TRUSTED_CA_FILE, ca_trust_problems, master_secrets, operator_key_problems,
    pem_key_line, salt_master_python, secret_file_problems, secret_leaks, secret_scope_problems,
    secrets_of, tls_key_secrets)
from verifylib.client import (  # noqa: E402,F401
    Cloud, log, poll, run, salt_call)
from verifylib.checks_api import (  # noqa: E402,F401
    _TCP_PROBE, GUEST_SSH_BANNER, HORIZON_PROCESSES_COMMAND, _router_for, check_boot,
    check_floatingip, check_identity, check_image, check_secgroups, check_services,
    gateway_public_urls, guest_ssh_answer_ok, horizon_process_problems, plain_answer,
    public_endpoint_problems, public_trust, public_url_problems, reach_problems, tcp_probe,
    tls_status)
from verifylib.checks_computes import (  # noqa: E402,F401
    CHECKSUMS_SCRIPT, NATIVE_TLS_COMMAND, NATIVE_TLS_WANT, _compute_records, _compute_services,
    _host_key, _live_migrate, _migration_error, _migration_targets, _nova_ssh, _volume_shape, check_blockstorage, check_faults,
    check_heal, check_idempotency, check_migration, check_replace, check_retire, check_scaleout,
    check_storage, checksum_problems, kernel_block_support, native_tls_problems, parse_checksums)
from verifylib.checks_pillar import (  # noqa: E402,F401
    check_resources, check_rotation, check_secrets, keystone_login, mariadb_login,
    rotation_problems)


CHECK_FUNCTIONS = {
    "identity": check_identity,
    "image": check_image,
    "services": check_services,
    "boot": check_boot,
    "secgroups": check_secgroups,
    "floatingip": check_floatingip,
    "storage": check_storage,
    "migration": check_migration,
    "idempotency": check_idempotency,
    "scaleout": check_scaleout,
    "faults": check_faults,
    "heal": check_heal,
    "blockstorage": check_blockstorage,
    "secrets": check_secrets,
    "resources": check_resources,
    "rotation": check_rotation,
    "replace": check_replace,
    "retire": check_retire,
}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Verify the deployed cloud end to end (run on the controller as root).",
        epilog="Exit status: 0 no FAIL, 1 a check failed, 2 verify could not start.")
    p.add_argument("--check", action="append", default=[],
                   help="checks to run, names or numbers, comma separated (repeatable); "
                        "default: all that need no argument")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    p.add_argument("--keep", action="store_true", help="leave the instance and key pair in place")
    p.add_argument("--openrc", default=OPENRC, help=f"admin credentials file (default {OPENRC})")
    p.add_argument("--image", default="verify-guest", help="Glance image of the test guest")
    p.add_argument("--flavor", default="m1.nano")
    p.add_argument("--network", help="private network for the instance (default: the model's "
                                      "networks:selfservice:name)")
    p.add_argument("--server-name", default="verify-instance")
    p.add_argument("--compute", help="scaleout: the compute that was added (e.g. compute3)")
    p.add_argument("--stopped", help="faults: the compute that is down")
    p.add_argument("--to", help="migration: the compute to live-migrate the instance to "
                                "(default: another one up); already there: nothing to do")
    p.add_argument("--checksums", help="replace: the instances' files checksummed before "
                                       "(cluster/instance-checksums.sh's output)")
    p.add_argument("--old-secrets", help="rotation: the secrets before the rotate phase "
                                         "(cluster/rotation.py's --old file)")
    p.add_argument("--chassis-reset", metavar="SCRIPT",
                   help="a guest without a DHCP lease: run this script (on the computes; "
                        "cluster/run's: /vagrant/cluster/chassis-reset.sh) on its compute "
                        "before booting it again")
    p.add_argument("--boot-timeout", type=float, default=300)
    p.add_argument("--console-timeout", type=float, default=240)
    p.add_argument("--migrate-timeout", type=float, default=300)
    p.add_argument("--heal-timeout", type=float, default=300)
    p.add_argument("--report", nargs="+", metavar="JSON",
                   help="run nothing: merge these earlier runs' --json files, print the "
                        "table (and write the merged document to --json)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.report:
        return report(args.report, args.json)
    try:
        selected = select_checks(args.check)
    except ValueError as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return EXIT_ERROR
    started = time.time()
    try:
        cloud = Cloud(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        write_document(args.json, verify_document([], started, time.time() - started,
                                                  code=EXIT_ERROR, error=str(exc)))
        return EXIT_ERROR
    results = []
    # A driver's SIGTERM still cleans up (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_FAIL))
    try:
        for name in selected:
            title = next(t for _, nm, t in CHECKS if nm == name)
            log(f"check {name}: {title}")
            t0 = time.monotonic()
            exc = None
            try:
                detail = CHECK_FUNCTIONS[name](cloud)
            except (CheckFailed, NotRunnable, Skipped) as e:
                exc, detail = e, str(e)
            except Exception as e:  # noqa: BLE001 - an API error is a failure too
                exc, detail = e, f"{type(e).__name__}: {e}"
            if cloud.notes:
                detail = f"{detail}; " + "; ".join(cloud.notes)
                cloud.notes.clear()
            res = make_result(name, classify(exc), time.monotonic() - t0,
                              redact(detail, cloud.secrets))
            results.append(res)
            log(f"check {name}: {res['result']} ({res['seconds']:.1f} s) {res['detail']}")
    finally:
        cloud.cleanup()
    print()
    print(render_table(results))
    write_document(args.json, verify_document(results, started, time.time() - started,
                                              auth_url=cloud.env.get("OS_AUTH_URL")))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
