"""
Glance's plans for ``openstack_cloud``: an image checked (``image_spec``),
Glance's image in the same terms (``image_view``), and what to delete,
patch and create (``plan_image``) on the vocabulary of
``saltext_openstack_cloud`` (see there). Pure: the file's upload and its
check are ``saltext_openstack_cloud_calls``'. Imported like
``saltext_openstack_api`` (see there), not a loader module.
"""
import dataclasses

from salt.exceptions import CommandExecutionError

# The shared plan vocabulary (Ref, Step, Plan, the checked values),
# synced or installed with this file.
try:
    import saltext_openstack_cloud as cp
except ImportError:
    from saltext_openstack._utils import saltext_openstack_cloud as cp


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_cloud_image is imported by openstack_cloud directly")


# --------------------------------------------------------------------------
# Images (Glance v2)
# --------------------------------------------------------------------------

#: Glance's formats (2025.1 defaults of ``[image_format]``) and visibilities.
IMAGE_DISK_FORMATS = (
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
)  # fmt: skip
IMAGE_CONTAINER_FORMATS = ("bare", "ovf", "aki", "ari", "ami", "ova", "docker", "compressed")
IMAGE_VISIBILITIES = ("public", "private", "shared", "community")
#: Statuses of an image whose data did not (all) arrive: a partial upload,
#: deleted and uploaded again.
IMAGE_PARTIAL = ("queued", "saving", "killed", "uploading", "importing")
#: Statuses of an image with its data.
IMAGE_WITH_DATA = ("active", "deactivated")
#: Glance's own fields of an image: everything else is a property.
IMAGE_CORE = frozenset({
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
    "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
    "disk_format", "container_format", "created_at", "updated_at", "tags", "direct_url",
    "locations", "self", "file", "schema", "stores", "kernel_id", "ramdisk_id",
})  # fmt: skip


def _choice(value, choices, what):
    if value not in choices:
        raise CommandExecutionError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    return value


def image_spec(name, filename, disk_format="qcow2", container_format="bare",
               visibility="public", kernel=None, ramdisk=None, properties=None):  # fmt: skip
    """
    The wanted image, checked: ``{name, file, fields: {disk_format,
    container_format, visibility}, kernel, ramdisk, properties}``.
    ``properties`` None: not managed; property values are strings (as
    Glance keeps them, true/false for booleans).
    """
    if not isinstance(name, str) or not name.strip() or cp.control_character(name):
        raise CommandExecutionError(f"An image name must be a non-empty line of text, got {name!r}")
    where = f"image {name}"
    if not isinstance(filename, str) or not filename.startswith("/"):
        raise CommandExecutionError(f"{where}: filename must be an absolute path, got {filename!r}")
    fields = {
        "disk_format": _choice(disk_format, IMAGE_DISK_FORMATS, f"{where}: disk_format"),
        "container_format": _choice(container_format, IMAGE_CONTAINER_FORMATS,
                                    f"{where}: container_format"),
        "visibility": _choice(visibility, IMAGE_VISIBILITIES, f"{where}: visibility"),
    }  # fmt: skip
    for key, ref in (("kernel", kernel), ("ramdisk", ramdisk)):
        if ref is not None and (not isinstance(ref, str) or not ref or ref == name):
            raise CommandExecutionError(f"{where}: {key} must name another image, got {ref!r}")
    if properties is not None:
        if not isinstance(properties, dict):
            raise CommandExecutionError(f"{where}: properties must be a mapping")
        reserved = sorted(str(k) for k in properties if k in IMAGE_CORE)
        if reserved:
            raise CommandExecutionError(
                f"{where}: {', '.join(reserved)} are Glance's own fields, not properties "
                "(kernel_id and ramdisk_id: give kernel and ramdisk by image name)")
        properties = {str(k): cp.spec_value(v) for k, v in properties.items()}
    return {"name": name, "file": filename, "fields": fields, "kernel": kernel,
            "ramdisk": ramdisk, "properties": properties}  # fmt: skip


def image_view(image):
    """Glance's image in :func:`image_spec`'s terms, with its data's size and digest."""
    return {
        "id": image["id"],
        "status": image.get("status"),
        "fields": {k: image.get(k) for k in ("disk_format", "container_format", "visibility")},
        "kernel_id": image.get("kernel_id"),
        "ramdisk_id": image.get("ramdisk_id"),
        "properties": {k: v for k, v in image.items() if k not in IMAGE_CORE},
        "size": image.get("size"),
        "digest": image_digest(image),
    }


def image_digest(image):
    """``(algorithm, hex)`` of an image's data as Glance computed it, or None."""
    if image.get("os_hash_algo") and image.get("os_hash_value"):
        return (image["os_hash_algo"], image["os_hash_value"])
    if image.get("checksum"):
        return ("md5", image["checksum"])
    return None


@dataclasses.dataclass
class ImagePlan:
    """What to do to the image ``image_id`` (None: there is none): delete
    it, create it (the body), upload the file, apply a JSON patch; and the
    changes that makes."""

    image_id: str = None
    delete: str = None
    create: dict = None
    upload: bool = False
    patch: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)


def _pointer(key):
    """A JSON pointer (RFC 6901) to a top-level key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _image_body(spec, refs):
    body = {"name": spec["name"], **spec["fields"], **refs}
    body.update(spec["properties"] or {})
    return body


def _data_differs(current, local):
    """Why the image's data is not the local file's (None: it is)."""
    if current["size"] != local["size"]:
        return f"size {current['size']} in Glance, {local['size']} bytes in the file"
    digest = current["digest"]
    if digest is None:
        return "Glance has no checksum of its data"
    algorithm, value = digest
    if local["hashes"].get(algorithm) != value:
        return f"{algorithm} differs"
    return None


def plan_image(spec, current, refs, local):
    """
    The plan bringing ``current`` (an :func:`image_view`, or None) to
    ``spec``. ``refs``: the ``kernel_id``/``ramdisk_id`` wanted (managed
    ones only). ``local``: ``{size, hashes: {algorithm: hex}}`` of the
    file (the hashes of ``current``'s digest algorithm when the sizes
    match), None when it is not downloaded yet (a dry run). Pure.

    A partial upload, or data that differs from the file, is replaced
    (deleted and created again). A different disk or container format of
    an image with the file's data is refused: Glance cannot change them.
    """
    plan = ImagePlan(image_id=current and current["id"])
    name = spec["name"]
    wanted = dict(spec["fields"])
    labels = {"kernel_id": "kernel", "ramdisk_id": "ramdisk"}
    if current is None:
        plan.create, plan.upload = _image_body(spec, refs), True
        new = {**wanted, **{labels[k]: v for k, v in refs.items()}}
        new["properties"] = dict(spec["properties"] or {})
        if local is not None:
            new["size"] = local["size"]
        plan.changes["image"] = {"old": None, "new": new}
        return plan
    status = current["status"]
    reason = None
    if status in IMAGE_PARTIAL:
        reason = f"a partial upload (status {status})"
        plan.changes["status"] = {"old": status, "new": "active"}
    elif status not in IMAGE_WITH_DATA:
        raise CommandExecutionError(
            f"image {name}: Glance's image {current['id']} has status {status}; "
            "nothing was changed: delete it or wait for Glance to finish")
    elif local is None:
        plan.changes["data"] = f"not checked: {spec['file']} is not downloaded yet"
    else:
        reason = _data_differs(current, local)
        if reason:
            digest = current["digest"]
            plan.changes["data"] = {"old": f"{current['size']} bytes"
                                    + (f", {digest[0]} {digest[1]}" if digest else ""),
                                    "new": f"{local['size']} bytes of {spec['file']}"}  # fmt: skip
            reason = f"its data differs from {spec['file']} ({reason})"
    fields = cp.diff(current["fields"], wanted)
    refs_changed = {labels[k]: {"old": current[k], "new": v}
                    for k, v in refs.items() if current[k] != v}  # fmt: skip
    props = {}
    if spec["properties"] is not None:
        have = current["properties"]
        props = {k: {"old": have.get(k), "new": v}
                 for k, v in sorted(spec["properties"].items()) if have.get(k) != v}  # fmt: skip
    if reason:
        plan.delete, plan.create, plan.upload = current["id"], _image_body(spec, refs), True
        plan.changes["image"] = f"replaced: {reason}; deleted and uploaded again"
    else:
        fixed = [f"{k} is {c['old']!r} in Glance, {c['new']!r} wanted"
                 for k, c in fields.items() if k != "visibility"]  # fmt: skip
        if fixed:
            raise cp.refuse("image", name, fixed,
                          "Glance keeps an image's formats with its data. Give the image a new "
                          "name, or delete it to have it uploaded again.")  # fmt: skip
        for key, change in fields.items():
            plan.patch.append({"op": "replace", "path": _pointer(key), "value": change["new"]})
        for key, value in refs.items():
            if current[key] != value:
                op = "add" if current[key] is None else "replace"
                plan.patch.append({"op": op, "path": _pointer(key), "value": value})
        for key, change in props.items():
            op = "add" if change["old"] is None else "replace"
            plan.patch.append({"op": op, "path": _pointer(key), "value": change["new"]})
    plan.changes.update(fields)
    plan.changes.update(refs_changed)
    if props:
        plan.changes["properties"] = props
    return plan
