"""
The one secret masker of the extension's modules: what ``openstack_config``
reports of the options it changes, and what ``nova_manage`` returns, logs
and raises of nova-manage's cell URLs and output.  Pure, standard library
only.

* An option whose name contains ``password``, ``secret``, ``token`` or
  ``key`` is masked whole (:func:`mask_value`).
* The password of a URL is masked, the rest kept:
  ``mysql+pymysql://nova:******@db/nova``.  The authority of a URL ends at
  the first ``/``, ``?`` or ``#`` after its *last* ``@``, and a password
  runs from the first ``:`` of the user part to that ``@``: a password
  holding ``@``, ``/``, ``:`` or ``,`` is masked whole.  A multi-host
  authority (``rabbit://u:p1@h1:5672,u:p2@h2:5672/``) has each host's
  password masked when every host carries one; when the split on commas
  is ambiguous (a password holding a comma) everything from the first
  password to the last ``@`` is masked: over-masking is better than a leak.
* In an option's value a URL runs to the end of its line
  (:func:`mask_urls`); in free text (logs, error messages) to the next
  white space (:func:`scrub`), which also replaces the passwords known to
  the caller (:func:`passwords`) wherever they appear.

The mask itself is the caller's: ``openstack_config`` writes ``******``,
``nova_manage`` ``****``.

Not a Salt loader module: the modules import it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as
``import saltext_openstack_mask as mask`` (README, "Shared code").
"""
import re
from urllib.parse import unquote

MASK = "******"
SECRET_WORDS = ("password", "secret", "token", "key")

# A URL: "scheme://" (or a bare "://") and the rest of the line ...
_URL = re.compile(r"(?P<scheme>(?:[A-Za-z][A-Za-z0-9+.\-]*)?://)(?P<rest>.*)")
# ... or, inside free text, up to the next white space.
_TEXT_URL = re.compile(r"(?P<scheme>(?:[A-Za-z][A-Za-z0-9+.\-]*)?://)(?P<rest>\S*)")

# Very short known passwords would mangle a text more than they protect.
_MIN_SECRET = 4


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_mask is imported by the extension's modules directly")


def is_secret_key(key):
    """Whether option ``key`` holds a secret as a whole (``admin_password``, ``api_key``)."""
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def _split_host(host):
    """``user:password@host`` -> (user, password, host); None without a password."""
    userinfo, _, hostport = host.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not colon:
        return None
    return user, password, hostport


def _hosts(authority):
    """
    The hosts of a (possibly multi-host) authority, as in
    ``rabbit://u:p1@h1:5672,u:p2@h2:5672/``; the whole authority as one
    host when the split on commas is ambiguous (a password holding a
    comma), so that all of it is masked.
    """
    hosts = authority.split(",")
    if len(hosts) > 1 and all(_split_host(host) for host in hosts):
        return hosts
    return [authority]


def _authority(match):
    """(scheme, authority, after) of a URL match; authority is None without an ``@``."""
    rest = match.group("rest")
    last_at = rest.rfind("@")
    if last_at < 0:
        return match.group("scheme"), None, rest
    ends = [pos for pos in (rest.find(char, last_at) for char in "/?#") if pos >= 0]
    end = min(ends, default=len(rest))
    return match.group("scheme"), rest[:end], rest[end:]


def _masker(mask):
    def _mask_url(match):
        scheme, authority, after = _authority(match)
        if authority is None:
            return match.group(0)
        hosts = []
        for host in _hosts(authority):
            parts = _split_host(host)
            hosts.append(host if parts is None else f"{parts[0]}:{mask}@{parts[2]}")
        return scheme + ",".join(hosts) + after

    return _mask_url


def mask_urls(text, mask=MASK):
    """``text`` (an option's value, a URL; None stays None) with every URL password masked."""
    if text is None:
        return None
    text = str(text)
    if "://" not in text:
        return text
    return _URL.sub(_masker(mask), text)


def has_credentials(text):
    """Whether ``text`` holds a URL with a password."""
    return text is not None and mask_urls(text) != str(text)


def mask_value(key, value, mask=MASK):
    """
    Mask a value (``None``, a string or a list of strings) of option
    ``key``: whole for a secret option name, else its URL passwords.
    """
    if value is None:
        return None
    if isinstance(value, list):
        return [mask_value(key, item, mask) for item in value]
    if is_secret_key(key):
        return mask
    return mask_urls(value, mask)


def passwords(urls):
    """
    The passwords of the URLs in ``urls`` (raw and %-decoded, at least four
    characters), longest first: for :func:`scrub` to find them anywhere.
    """
    found = set()
    for text in urls:
        for match in _URL.finditer(text or ""):
            _, authority, _ = _authority(match)
            for host in _hosts(authority or ""):
                parts = _split_host(host)
                if parts is not None:
                    found.update((parts[1], unquote(parts[1])))
    return sorted((p for p in found if len(p) >= _MIN_SECRET), key=lambda p: (-len(p), p))


def scrub(text, secrets=(), mask=MASK):
    """Free text with its URL passwords and every one of ``secrets`` masked."""
    text = _TEXT_URL.sub(_masker(mask), str(text))
    for secret in secrets:
        text = text.replace(secret, mask)
    return text
