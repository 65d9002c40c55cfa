"""
The cloud, as cluster/verify.py's checks touch it: Cloud (the openstacksdk
connection with the admin credentials, the controller's pillar and the
validated model, the salt CLI to other hosts, the verification instance
booted, reused and cleaned up), salt-call, bounded subprocess runs,
polling and the log line.  openstacksdk is imported only when a Cloud is
made (on the controller).
"""

import base64
import json
import re
import shlex
import subprocess
import time
import uuid

from salt_output import parse_salt_json  # cluster/salt_output.py

from .common import CheckFailed, NoLease, Skipped
from .parse import (catalog, lost_lease, model_networks, parse_console, parse_openrc, sdk_auth_args,
                    service_users)
from .problems import (choose_floating_ip, console_problems, lease_probe_command, minion_of,
                       roles_hosts)


def log(msg):
    print(f"[verify {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def poll(what, fn, timeout, interval=3.0):
    """Call fn() until it returns a true value; CheckFailed after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = fn()
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - transient API errors are retried
            value, last = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            suffix = f" (last error: {last})" if last else ""
            raise CheckFailed(f"{what}: not within {timeout:.0f} s{suffix}")
        time.sleep(interval)


class Cloud:
    """Everything the checks touch: the SDK connection, salt, pillar."""

    def __init__(self, args):
        self.args = args
        try:
            with open(args.openrc, encoding="utf-8") as fh:
                self.env = parse_openrc(fh.read())
            auth = sdk_auth_args(self.env)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"verify: credentials: {args.openrc}: {exc}") from None
        self.secrets = [self.env.get("OS_PASSWORD", "")]
        try:
            import openstack  # noqa: PLC0415 - only needed on the controller
        except ImportError:
            raise SystemExit("verify: openstacksdk missing (python3-openstacksdk)") from None
        self.conn = openstack.connect(**auth)
        self.pillar = self._pillar()
        self.hosts = self.pillar.get("hosts") or {}
        if not self.hosts:
            raise SystemExit("verify: pillar openstack:hosts is empty")
        # The networks' names and the physical network: the validator's
        # model, as the formulas read it (never the raw pillar's keys).
        model = salt_call("openstack_pillar.topology")
        self.model = model
        try:
            self.networks = model_networks(model)
            self.api_workers = model["workers"]["api"]
            self.ovn = model["ovn"]
            # Who signs each controller's and gateway's public certificate.
            self.public_tls = model["tls"]["public"]
            self.console_url = (model.get("console") or {}).get("url")
            # The catalog and service users the keystone formula registers.
            self.catalog = catalog(model)
            self.service_users = service_users(model)
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"verify: openstack_pillar.topology: {exc}") from None
        if not args.network:
            args.network = self.networks["selfservice"]
        self.computes = roles_hosts(self.hosts, "compute")
        # State shared by the checks of one run.
        self.server = None
        self.keypair = None
        self.public_key = None
        self.token = None
        self.created_server = False
        self.created_keypair = False
        self.boot_error = None
        self.boot_attempted = False
        self.notes = []  # said in the current check's detail (boot: a second boot)
        self.console_before_migration = None
        self._rotation_record = None

    # -- helpers -----------------------------------------------------------
    def _pillar(self):
        # --no-return-event: the answer holds every password; without it
        # salt-call also sends it to the master's job cache.  unmask=True:
        # Salt 3008 (constraints.txt) masks every value pillar.get returns.
        data = salt_call("pillar.get", "openstack", "unmask=True")
        if not isinstance(data, dict):
            raise SystemExit("verify: no openstack pillar on the controller")
        return data

    def salt(self, targets, command, timeout=60):
        """cmd.run_all on minions -> {minion: {retcode, stdout, stderr}}; a
        minion that does not answer gets retcode None."""
        targets = list(targets)
        cmd = ["salt", "--out=json", "--static", "-t", str(timeout), "-L", ",".join(targets),
               "cmd.run_all", f"cmd={command}", "python_shell=True"]
        proc = run(cmd, timeout=timeout + 60)
        answers = parse_salt_json(proc.stdout)
        out = {}
        for t in targets:
            ans = answers.get(t)
            if isinstance(ans, dict) and "retcode" in ans:
                out[t] = ans
            else:
                out[t] = {"retcode": None, "stdout": "", "stderr": str(ans or "no answer from minion")}
        return out

    def salt_function(self, targets, function, *args, timeout=60):
        """A salt function on minions -> {minion: its return} (absent: no answer)."""
        cmd = ["salt", "--out=json", "--static", "-t", str(timeout), "-L", ",".join(targets),
               function, *args]
        return parse_salt_json(run(cmd, timeout=timeout + 60).stdout)

    def role_secrets(self):
        """The per-role allow-list of secrets (names) from openstack_pillar."""
        proc = run(["salt-call", "--out=json", "openstack_pillar.role_secrets"], timeout=120)
        data = parse_salt_json(proc.stdout).get("local")
        if not isinstance(data, dict):
            raise CheckFailed("salt-call openstack_pillar.role_secrets failed: "
                              + proc.stderr.strip()[-300:])
        return data

    def salt_one(self, target, command, timeout=60):
        return self.salt([target], command, timeout)[target]

    @property
    def fip_marker(self):
        """The description of the floating IPs verify creates (cleanup finds them by it)."""
        return f"verify.py {self.args.server_name}"

    def floating_ip(self, port, network_id):
        """(floating IP on `port` from `network_id`, what was done): an
        existing one reused, a free one of verify's associated, or a new one."""
        net = self.conn.network
        seen = {}
        for fip in [*net.ips(port_id=port.id), *net.ips(description=self.fip_marker)]:
            seen[fip.id] = {"id": fip.id, "port_id": fip.port_id,
                            "floating_network_id": fip.floating_network_id,
                            "description": fip.description or ""}
        chosen, action = choose_floating_ip(list(seen.values()), port.id, network_id,
                                            self.fip_marker)
        if action == "reuse":
            return net.get_ip(chosen["id"]), "reused"
        if action == "associate":
            return net.update_ip(chosen["id"], port_id=port.id), "a free one of verify's associated"
        fip = net.create_ip(floating_network_id=network_id, port_id=port.id,
                            description=self.fip_marker)
        log(f"floating IP {fip.floating_ip_address} created for port {port.id}")
        return fip, "created"

    def delete_floating_ips(self):
        """Delete the floating IPs verify created (Neutron keeps them when
        the instance's port goes)."""
        for fip in self.conn.network.ips(description=self.fip_marker):
            if fip.description == self.fip_marker:
                log(f"deleting floating IP {fip.floating_ip_address}")
                self.conn.network.delete_ip(fip, ignore_missing=True)

    def fault(self, server):
        """The fault message nova recorded for an instance."""
        try:
            body = self.conn.compute.get(f"/servers/{server.id}").json().get("server", {})
            return (body.get("fault") or {}).get("message") or "no fault message"
        except Exception as exc:  # noqa: BLE001 - a hint only
            return f"fault unknown ({exc})"

    def migrations(self, server_id):
        """Nova's migration records of an instance, oldest first ([] if unknown)."""
        try:
            resp = self.conn.compute.get(f"/os-migrations?instance_uuid={server_id}",
                                         microversion="2.59")
            migs = resp.json().get("migrations", []) if resp.status_code == 200 else []
        except Exception:  # noqa: BLE001 - used for hints and progress only
            return []
        return sorted(migs, key=lambda m: (m.get("created_at") or "", m.get("id") or 0))

    def console(self, server, length=None):
        out = self.conn.compute.get_server_console_output(server, length=length)
        return out.get("output", "") if isinstance(out, dict) else str(out)

    def rotation_record(self):
        """The rotate phase's record (--old-secrets: cluster/rotation.py's
        {secrets, server, console}), read once; None without the option."""
        if not self.args.old_secrets:
            return None
        if self._rotation_record is None:
            with open(self.args.old_secrets, encoding="utf-8") as fh:
                self._rotation_record = json.load(fh)
        return self._rotation_record

    def find_server(self):
        for srv in self.conn.compute.servers(name=f"^{re.escape(self.args.server_name)}$"):
            if srv.name == self.args.server_name:
                return self.conn.compute.get_server(srv.id)
        return None

    def server_port(self, server, net=None):
        """The instance's Neutron port on the verification network."""
        net = net or self.conn.network.find_network(self.args.network)
        if net is None:
            raise CheckFailed(f"network {self.args.network} does not exist")
        ports = list(self.conn.network.ports(device_id=server.id, network_id=net.id))
        if not ports:
            raise CheckFailed(f"instance {server.id} has no port on {self.args.network}")
        return ports[0]

    def server_ipv4(self, server, net=None):
        """(address, subnet id) of the instance's port on the verification network."""
        port = self.server_port(server, net)
        ips = [ip for ip in port.fixed_ips or [] if ":" not in ip["ip_address"]]
        if not ips:
            raise CheckFailed(f"instance {server.id}: port {port.id} has no IPv4 address")
        return ips[0]["ip_address"], ips[0]["subnet_id"]

    def nova_services(self):
        return [{"binary": s.binary, "host": s.host, "state": s.state, "status": s.status}
                for s in self.conn.compute.services()]

    def neutron_agents(self):
        agents = []
        for a in self.conn.network.agents():
            conf = a.configuration or {}
            agents.append({"agent_type": a.agent_type, "host": a.host, "alive": a.is_alive,
                           "admin_state_up": a.is_admin_state_up,
                           "chassis": conf.get("chassis_name"),
                           "bridge_mappings": conf.get("bridge-mappings")})
        return agents

    def gluster(self, subcommand, host=None, timeout=90):
        """Run a gluster command on `host`, or on the first compute that answers."""
        cmd = f"gluster --mode=script {subcommand}"
        for host in ([host] if host else self.computes):
            ans = self.salt_one(host, cmd, timeout)
            if ans["retcode"] is not None:
                break
        if ans["retcode"] != 0:
            raise CheckFailed(f"{host}: `{cmd}` failed: "
                              f"{(ans['stderr'] or ans['stdout']).strip()[-300:]}")
        return ans["stdout"]

    @property
    def volume(self):
        return (self.pillar.get("gluster") or {}).get("volume", "nova-instances")

    # -- the instance ------------------------------------------------------
    def ensure_server(self):
        """The running verification instance: this run's, a kept one, or a new one."""
        if self.server is not None:
            return self.server
        if self.boot_attempted:
            raise Skipped(f"needs the instance that check 4 could not boot ({self.boot_error})")
        existing = self.find_server()
        if existing is not None and existing.status == "ACTIVE":
            self.server = existing
            self.token = (existing.metadata or {}).get("verify_token")
            if existing.key_name:
                try:
                    self.public_key = self.conn.compute.get_keypair(existing.key_name).public_key
                    self.keypair = existing.key_name
                    # A key pair of an earlier run of verify: cleaned up with the instance.
                    self.created_keypair = existing.key_name.startswith("verify-")
                except Exception:  # noqa: BLE001 - the key is optional for reuse
                    self.public_key = None
            log(f"reusing instance {existing.name} ({existing.id}) on {existing.compute_host}")
            return existing
        self.boot()
        return self.server

    def boot(self, availability_zone=None, name=None):
        """Boot the verification instance (or, with `name`, a probe instance)
        and wait for its console markers.  A guest that got no DHCP lease is
        deleted and booted once more, and that is said in the check's detail
        (`notes`): the userspace datapath's lost leases (cluster/README.md, "Tempest")."""
        if name is None:
            self.boot_attempted = True
        try:
            try:
                return self._boot(availability_zone, name)
            except NoLease as exc:
                reset = self.chassis_reset(exc.host)
                self.notes.append(f"first boot: no DHCP lease, booted again{reset} ({exc})")
                log(f"{exc}; booting once more")
                probe = name or self.args.server_name
                for srv in self.conn.compute.servers(name=f"^{re.escape(probe)}$"):
                    self.conn.compute.delete_server(srv)
                if name is None:  # later checks must not get the deleted one
                    self.server, self.created_server = None, False
                poll(f"{probe} deleted", lambda: not list(
                    self.conn.compute.servers(name=f"^{re.escape(probe)}$")), self.args.boot_timeout)
                result = self._boot(availability_zone, name)
                self.notes[-1] = "FLAKY: " + self.notes[-1]
                return result
        except Exception as exc:
            if name is None:
                self.boot_error = str(exc)
            raise

    def chassis_reset(self, compute_host):
        """With --chassis-reset SCRIPT (cluster/run's: cluster/chassis-reset.sh),
        that script on the compute whose guest got no lease, before the boot
        again: the words the note adds ("" without)."""
        if not self.args.chassis_reset or not compute_host:
            return ""
        host = minion_of(self.hosts, compute_host) or compute_host
        try:
            ans = self.salt_one(host, f"sh {shlex.quote(self.args.chassis_reset)}", 150)
        except Exception as exc:  # noqa: BLE001 - the boot again runs anyway
            return f" (the chassis reset of {host} failed: {exc})"
        out = (ans.get("stdout") or ans.get("stderr") or "no answer").strip().splitlines()
        said = out[-1] if out else "no answer"
        if ans.get("retcode"):
            said += f" (exit {ans['retcode']})"
        log(f"chassis reset of {host}: {said}")
        # Neutron counts the restarted agents dead for a while, and ML2/OVN
        # binds no port to a dead OVN controller agent (cluster/agents-alive.sh).
        # No agent under that host name (a chassis named otherwise) is not
        # "all alive": the wait then fails and says so.
        def alive():
            agents = list(self.conn.network.agents(host=compute_host))
            return bool(agents) and all(a.is_alive for a in agents)

        try:
            poll(f"every network agent of {compute_host} alive again", alive, 150)
        except CheckFailed as exc:
            said += f"; {exc}"
        return f" after a chassis reset of {host} ({said})"

    def lease_diagnostics(self, server, port):
        """What the guest's compute says of its port and OVN's DHCP
        (lease_probe_command): a line, best effort."""
        host = minion_of(self.hosts, server.compute_host) or server.compute_host
        try:
            ans = self.salt_one(host, lease_probe_command(f"tap{port.id[:11]}", port.mac_address), 60)
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"diagnostics failed: {exc}"
        return " ".join((ans.get("stdout") or ans.get("stderr") or "no answer").split())[:1200]

    def _boot(self, availability_zone=None, name=None):
        conn, args = self.conn, self.args
        name = name or args.server_name
        old = self.find_server() if name == args.server_name else None
        if old is not None:
            log(f"deleting the previous instance {old.name} ({old.id})")
            conn.compute.delete_server(old)
            poll("previous instance deleted", lambda: self.find_server() is None,
                 args.boot_timeout)
        image = conn.image.find_image(args.image)
        if image is None:
            raise CheckFailed(f"image {args.image} not in Glance (see check 2)")
        flavor = conn.compute.find_flavor(args.flavor)
        if flavor is None:
            raise CheckFailed(f"flavor {args.flavor} does not exist")
        net = conn.network.find_network(args.network)
        if net is None:
            raise CheckFailed(f"network {args.network} does not exist")
        if self.keypair is None:
            kp_name = f"verify-{uuid.uuid4().hex[:8]}"
            kp = conn.compute.create_keypair(name=kp_name)
            self.keypair, self.public_key, self.created_keypair = kp_name, kp.public_key, True
            # The private key is never used nor stored.
        self.token = self.token or f"verify-userdata-{uuid.uuid4().hex[:12]}"
        userdata = f"#!/bin/sh\necho {self.token}\n"
        attrs = {
            "name": name,
            "image_id": image.id,
            "flavor_id": flavor.id,
            "networks": [{"uuid": net.id}],
            "key_name": self.keypair,
            "user_data": base64.b64encode(userdata.encode()).decode(),
            "metadata": {"verify_token": self.token},
        }
        if name == args.server_name:
            # The verification instance has a config drive: nova-compute
            # builds it with [DEFAULT] mkisofs_cmd (issue 10: without the
            # program every such instance went to ERROR); check 3 (storage)
            # reads it back from the shared volume.
            attrs["config_drive"] = True
        if availability_zone:
            attrs["availability_zone"] = availability_zone
        t0 = time.monotonic()
        server = conn.compute.create_server(**attrs)
        if name == args.server_name:
            self.server, self.created_server = server, True
        log(f"booting {name} ({server.id}) from {args.image} on {args.network}")

        def active():
            srv = conn.compute.get_server(server.id)
            if srv.status == "ERROR":
                raise CheckFailed(f"instance {server.id} went to ERROR: {self.fault(srv)}")
            return srv if srv.status == "ACTIVE" else None

        server = poll(f"instance {server.id} ACTIVE", active, args.boot_timeout)
        if name == args.server_name:
            self.server = server
        t_active = time.monotonic() - t0
        address, subnet_id = self.server_ipv4(server, net)
        # What the guest must print: Neutron's address for its port, a lease
        # from OVN's native DHCP (server id = the subnet's gateway) with the
        # network's MTU (1442 on Geneve), the metadata agent's answers.
        expect = {"address": address, "userdata_token": self.token,
                  "public_key": self.public_key, "server_id": server.id,
                  "dhcp_server": conn.network.get_subnet(subnet_id).gateway_ip, "mtu": net.mtu}
        last = {}

        def markers():
            info = parse_console(self.console(server))
            last["info"] = info
            return info if info["alive"] and not console_problems(info, **expect) else None

        try:
            info = poll("console markers", markers, args.console_timeout, interval=5)
        except CheckFailed:
            info = last.get("info")
            problems = console_problems(info, **expect) if info else ["console log unreadable"]
            where = f"instance {server.id} on {server.compute_host}: "
            if lost_lease(info):
                try:
                    seen = self.lease_diagnostics(server, self.server_port(server, net))
                except CheckFailed as exc:
                    seen = f"diagnostics failed: {exc}"
                raise NoLease(where + "; ".join(problems) + "; " + seen,
                              host=server.compute_host) from None
            raise CheckFailed(where + "; ".join(problems)) from None
        t_console = time.monotonic() - t0
        return server, info, address, t_active, t_console

    def cleanup(self):
        if self.args.keep:
            if self.server is not None:
                log(f"--keep: instance {self.server.name} ({self.server.id}) left running")
            return
        try:
            self.delete_floating_ips()
        except Exception as exc:  # noqa: BLE001 - report and go on
            log(f"cleanup: floating IPs: {exc}")
        if self.server is not None or self.find_server() is not None:
            srv = self.server or self.find_server()
            try:
                log(f"deleting instance {srv.name} ({srv.id})")
                self.conn.compute.delete_server(srv)
                poll("instance deleted", lambda: self.conn.compute.find_server(srv.id) is None,
                     120)
            except Exception as exc:  # noqa: BLE001 - report and go on
                log(f"cleanup: instance {srv.id}: {exc}")
            if not self.keypair and srv.key_name and srv.key_name.startswith("verify-"):
                self.keypair, self.created_keypair = srv.key_name, True
        if self.keypair and self.created_keypair:
            try:
                self.conn.compute.delete_keypair(self.keypair, ignore_missing=True)
            except Exception as exc:  # noqa: BLE001
                log(f"cleanup: key pair {self.keypair}: {exc}")


def salt_call(*command, who="verify"):
    """salt-call's answer on this host (--no-return-event: nothing to the
    master's job cache); SystemExit, naming ``who``, when salt-call fails."""
    proc = run(["salt-call", "--no-return-event", "--out=json", *command], timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"{who}: salt-call {command[0]} failed: "
                         + proc.stderr.strip()[-300:])
    return parse_salt_json(proc.stdout).get("local")


def run(cmd, timeout, input_text=None):
    """subprocess.run bounded by timeout; never raises for a non-zero status."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              input=input_text, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return subprocess.CompletedProcess(cmd, 124, out, f"timed out after {timeout} s")
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", str(exc))
