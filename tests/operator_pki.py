"""
Real certificates for the tests of operator-provided public certificates
(pillar openstack:tls:public): an "operator CA", an intermediate, and host
certificates with chosen names, dates and keys, made with cryptography.
"""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def key_pem(key, password=None):
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode()


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Issuer:
    """A CA (self-signed, or an intermediate of ``parent``)."""

    def __init__(self, name, parent=None, not_before=None, not_after=None):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        signer = parent or self
        builder = (x509.CertificateBuilder()
                   .subject_name(self.name)
                   .issuer_name(signer.name)
                   .public_key(self.key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or NOW - DAY)
                   .not_valid_after(not_after or NOW + 3650 * DAY)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                  critical=True))
        self.cert = builder.sign(signer.key, hashes.SHA256())
        self.pem = cert_pem(self.cert)

    def issue(self, names=(), addresses=(), not_before=None, not_after=None, key=None,
              san=True):
        """(certificate PEM, key PEM) of a server certificate."""
        key = key or ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, (list(names) or ["host"])[0])]))
                   .issuer_name(self.name)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or NOW - DAY)
                   .not_valid_after(not_after or NOW + 90 * DAY))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in names]
                + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]), critical=False)
        return cert_pem(builder.sign(self.key, hashes.SHA256())), key_pem(key)
