"""
The parts of cluster/verify.py, the cloud's end-to-end verification
(issue 16 split the one file).  verify.py stays the script and imports
every name of these modules, so `import verify` (dashboard.py,
tempest.py, rotation.py, the tests...) finds them where it did:

    common           the deployment's names, the check list, the exceptions
    parse            pure parsers: openrc, console markers, gluster, tables
    problems         pure logic: the cloud's answers against the model
    report           results, the table, --report's merge, redaction
    secret_scan      check "secrets"'s logic: the master's secrets, scope, modes
    client           the cloud: openstacksdk, salt, the verification instance
    checks_api       identity, image, services, boot, secgroups, floatingip
    checks_computes  storage, migration, idempotency, scaleout, faults, heal,
                     replace, retire, blockstorage
    checks_pillar    resources, rotation, secrets

The modules import results.py and salt_output.py, beside this package in
cluster/, as top-level modules: cluster/ must be on sys.path, which
verify.py sees to.  Within the package, relative imports.

Each module imports the names it uses (`from .client import run`), and
verify.py imports them all: a test that replaces a name (monkeypatch)
must replace it where the code under test looks it up, e.g.
verifylib.secret_scan.run for master_secrets(), not verify.run.
"""
