"""
The cloud's own certificate authority, kept on the Salt master.

The cloud's TLS certificates come from a CA that this module makes on the
master the first time one is asked for: an ECDSA P-256 key and a self-signed CA certificate (ten years) in
``<pki_dir>/openstack_ca/`` (the master's ``/etc/salt/pki/master``),
readable by root only.  The master's ``openstack_secrets`` ext_pillar asks
it for each host's certificate while it compiles that host's pillar, so
every host receives its own key and certificate, and the CA's certificate,
over Salt's encrypted channel and nobody else's key.  The CA's own key
never leaves the master.

A host's certificate names the host (minion id, short name, fqdn) and its
addresses (``subjectAltName``) and is good for both server and client
authentication.  It is kept beside the CA (``issued/<minion id>.crt`` and
``.key``) and handed out unchanged on every pillar compile, so states that
place it report no change, until one of these makes a new one (a new key
too): the names or addresses it must carry change, fewer than
:data:`RENEW_DAYS` days of validity remain, or the CA is not the one that
signed it.  Several master workers may compile pillars at once: making the
CA and issuing hold a lock (``.lock`` in the CA directory), and every file
is written whole (a temporary file renamed over it).
"""
import datetime
import fcntl
import ipaddress
import logging
import os
import re
import tempfile

from salt.exceptions import CommandExecutionError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - Salt itself requires cryptography
    HAS_CRYPTOGRAPHY = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack_tls"

#: Validity of the CA's certificate.
CA_DAYS = 3650
#: A host's certificate is made anew when fewer days than this remain.
RENEW_DAYS = 30
#: A minion id as a file name: what Salt accepts as an id, less path tricks.
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,252}$")


def __virtual__():
    if not HAS_CRYPTOGRAPHY:
        return False, "openstack_tls needs the python cryptography package"
    return __virtualname__


#: X.509's upper bound for a common name (the names that count are in the
#: subjectAltName; a longer id or CA name is cut here).
CN_MAX = 64


def _common_name(text):
    return x509.NameAttribute(NameOID.COMMON_NAME, text[:CN_MAX])


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _ca_dir(directory):
    if directory:
        return directory
    pki_dir = __opts__.get("pki_dir")  # pylint: disable=undefined-variable
    if not pki_dir:
        raise CommandExecutionError("openstack_tls: no pki_dir in this Salt's configuration")
    return os.path.join(pki_dir, "openstack_ca")


def _write(path, data, mode):
    """Write ``data`` (bytes) to ``path`` whole: a temporary file in the same
    directory, made with ``mode``, renamed over it."""
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path):
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        return None


class _Locked:
    """The CA directory, made if missing (0700, root), held under its lock."""

    def __init__(self, directory):
        self.directory = directory
        self.handle = None

    def __enter__(self):
        try:
            os.makedirs(os.path.join(self.directory, "issued"), mode=0o700, exist_ok=True)
            os.chmod(self.directory, 0o700)
            self.handle = open(os.path.join(self.directory, ".lock"), "a+b")  # pylint: disable=consider-using-with
        except OSError as exc:
            raise CommandExecutionError(
                f"openstack_tls: cannot use the CA directory {self.directory}: {exc}") from exc
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self.directory

    def __exit__(self, *exc_info):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _ensure_ca(directory, name):
    """The CA's (key, certificate), made when the directory has none."""
    key_path = os.path.join(directory, "ca.key")
    cert_path = os.path.join(directory, "ca.crt")
    key_pem, cert_pem = _read(key_path), _read(cert_path)
    if key_pem and cert_pem:
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
            cert = x509.load_pem_x509_certificate(cert_pem)
        except ValueError as exc:
            raise CommandExecutionError(
                f"openstack_tls: the CA in {directory} cannot be read ({exc}); move ca.key "
                f"and ca.crt away to have a new CA made (every host then gets a new "
                f"certificate)") from exc
        if cert.public_key().public_numbers() != key.public_key().public_numbers():
            raise CommandExecutionError(
                f"openstack_tls: {cert_path} is not the certificate of {key_path}")
        return key, cert
    if key_pem or cert_pem:
        raise CommandExecutionError(
            f"openstack_tls: {directory} holds only one of ca.key and ca.crt; restore the "
            f"other or move it away to have a new CA made")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([_common_name(name)])
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _pem_key(key), 0o600)
    _write(cert_path, _pem_cert(cert), 0o644)
    log.info("openstack_tls: made the CA %r in %s", name, directory)
    return key, cert


def _alt_names(names, addresses):
    wanted = []
    for name in names:
        entry = x509.DNSName(name.lower())
        if entry not in wanted:
            wanted.append(entry)
    for address in addresses:
        entry = x509.IPAddress(ipaddress.ip_address(address))
        if entry not in wanted:
            wanted.append(entry)
    return wanted


def _still_good(cert_pem, key_pem, ca_cert, alt_names):
    """Whether a stored host certificate can be handed out again."""
    if not cert_pem or not key_pem:
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        cert.verify_directly_issued_by(ca_cert)
        held = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound) as exc:
        log.info("openstack_tls: stored certificate unusable or not from this CA (%s): "
                 "a new one is made", type(exc).__name__)
        return False
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return False
    if set(held) != set(alt_names):
        return False
    return cert.not_valid_after_utc - _now() > datetime.timedelta(days=RENEW_DAYS)


def _issue_new(ca_key, ca_cert, minion_id, alt_names, days):
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = min(now + datetime.timedelta(days=days), ca_cert.not_valid_after_utc)
    if not_after - now <= datetime.timedelta(days=RENEW_DAYS):
        raise CommandExecutionError(
            f"openstack_tls: the CA ({ca_cert.subject.rfc4514_string()}) ends on "
            f"{ca_cert.not_valid_after_utc:%Y-%m-%d}: a certificate it signs now would be "
            f"renewed on every pillar refresh; move ca.key and ca.crt away to have a new CA "
            f"made (every host then gets a new certificate)")
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([_common_name(minion_id)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=True, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _pem_cert(cert), _pem_key(key)


def _check_request(minion_id, names, addresses, days):
    if not isinstance(minion_id, str) or not _ID_RE.match(minion_id) or ".." in minion_id:
        raise CommandExecutionError(f"openstack_tls: {minion_id!r} is not a usable minion id")
    if not names or not all(isinstance(n, str) and n for n in names):
        raise CommandExecutionError("openstack_tls: a certificate needs at least one host name")
    try:
        for address in addresses or ():
            ipaddress.ip_address(address)
    except ValueError as exc:
        raise CommandExecutionError(f"openstack_tls: {exc}") from exc
    if isinstance(days, bool) or not isinstance(days, int) or days <= RENEW_DAYS:
        raise CommandExecutionError(
            f"openstack_tls: days must be an integer above {RENEW_DAYS}, got {days!r}")


def ca_certificate(directory=None, name=None):
    """
    Return the CA's certificate (PEM), making the CA first if there is none.

    directory
        Where the CA is kept.  Default: ``<pki_dir>/openstack_ca``.

    name
        The CA's common name when it is made.  Default: ``OpenStack CA``
        and this Salt's id.

    CLI Example::

        salt-run salt.cmd openstack_tls.ca_certificate
    """
    directory = _ca_dir(directory)
    with _Locked(directory):
        _key, cert = _ensure_ca(directory, name or _ca_name())
    return _pem_cert(cert).decode()


def _ca_name():
    return "OpenStack CA " + str(__opts__.get("id", ""))  # pylint: disable=undefined-variable


def issue(minion_id, names, addresses=(), days=365, directory=None):
    """
    Return ``{"cert": PEM, "key": PEM, "ca_cert": PEM}`` for ``minion_id``:
    the stored certificate while it is still good (same names and
    addresses, more than ``RENEW_DAYS`` days left, signed by this CA), else
    a new key and certificate, stored for the next call.

    minion_id
        The host the certificate is for (its common name and file name).

    names
        Host names it must carry (``subjectAltName`` DNS entries).

    addresses
        IP addresses it must carry.

    days
        Validity of a new certificate (capped by the CA's own).

    directory
        Where the CA is kept.  Default: ``<pki_dir>/openstack_ca``.

    The answer holds the host's private key: ask on the master itself,
    where no job return keeps it (a ``salt-run`` or ``salt`` job's return
    stays in the job cache).

    CLI Example::

        salt-call --local --out=json openstack_tls.issue controller '[controller]' '[192.168.56.10]' directory=/etc/salt/pki/master/openstack_ca
    """
    _check_request(minion_id, names, addresses, days)
    directory = _ca_dir(directory)
    alt_names = _alt_names(names, addresses or ())
    with _Locked(directory):
        ca_key, ca_cert = _ensure_ca(directory, _ca_name())
        cert_path = os.path.join(directory, "issued", minion_id + ".crt")
        key_path = os.path.join(directory, "issued", minion_id + ".key")
        cert_pem, key_pem = _read(cert_path), _read(key_path)
        if not _still_good(cert_pem, key_pem, ca_cert, alt_names):
            cert_pem, key_pem = _issue_new(ca_key, ca_cert, minion_id, alt_names, days)
            _write(key_path, key_pem, 0o600)
            _write(cert_path, cert_pem, 0o644)
            log.info("openstack_tls: issued a certificate for %s", minion_id)
    return {"cert": cert_pem.decode(), "key": key_pem.decode(),
            "ca_cert": _pem_cert(ca_cert).decode()}


def describe(cert):
    """
    Return what a certificate (PEM) says: subject, issuer, names,
    addresses, expiry (ISO 8601, UTC).  Never reads a key.

    CLI Example::

        salt-call openstack_tls.describe "$(cat /etc/ssl/certs/openstack-ca.pem)"
    """
    try:
        parsed = x509.load_pem_x509_certificate(cert.encode() if isinstance(cert, str) else cert)
    except (ValueError, TypeError) as exc:
        raise CommandExecutionError(f"openstack_tls: not a PEM certificate: {exc}") from exc
    try:
        alt = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = alt.get_values_for_type(x509.DNSName)
        addresses = [str(a) for a in alt.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names, addresses = [], []
    return {
        "subject": parsed.subject.rfc4514_string(),
        "issuer": parsed.issuer.rfc4514_string(),
        "names": names,
        "addresses": addresses,
        "not_after": parsed.not_valid_after_utc.isoformat(),
    }
