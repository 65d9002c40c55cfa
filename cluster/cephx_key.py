#!/usr/bin/env python3
"""
A new cephx key, as ``ceph-authtool --gen-print-key`` prints one, made on
the host before the test cluster's pillar is written (cluster/run): the
pillar's ``openstack:passwords:ceph_cinder_key``, which cluster/ceph.sh
then gives to client.cinder on the test Ceph cluster.

    python3 cluster/cephx_key.py        # prints one key

A cephx key is base64 of 28 bytes: le16 type (1, AES), le32 created.sec,
le32 created.nsec, le16 length (16), then the 16 secret bytes.
"""
import base64
import secrets
import struct
import time

CEPH_CRYPTO_AES = 1
SECRET_BYTES = 16


def new_key(now=None, secret=None):
    """A cephx key (str, 40 characters of base64): ``now`` the creation time
    (seconds, float; default the current time), ``secret`` the 16 secret
    bytes (default random)."""
    if now is None:
        now = time.time()
    if secret is None:
        secret = secrets.token_bytes(SECRET_BYTES)
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"a cephx secret is {SECRET_BYTES} bytes, not {len(secret)}")
    sec = int(now)
    nsec = int(round((now - sec) * 1e9)) % 1_000_000_000
    header = struct.pack("<HIIH", CEPH_CRYPTO_AES, sec & 0xFFFFFFFF, nsec, SECRET_BYTES)
    return base64.b64encode(header + secret).decode("ascii")


if __name__ == "__main__":
    print(new_key())
