"""
The oslo.config INI parser/writer of the openstack_config module
(_utils/saltext_openstack_ini.py), on strings, and the module's argument
normalisation.
"""
import textwrap

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import openstack_config as oc
from saltext_openstack._utils import saltext_openstack_ini as ini_module
from saltext_openstack._utils.saltext_openstack_ini import IniDocument


def ini(text):
    return textwrap.dedent(text).lstrip("\n")


def edit(text, settings=None, remove=None):
    document = IniDocument(text)
    for (section, key), values in oc._wanted_settings(settings).items():
        document.set(section, key, values)
    for section, key in oc._unwanted_options(remove):
        document.delete(section, key)
    return document.render()


def values(text, section, key):
    return IniDocument(text).values(section, key)


SAMPLE = ini(
    """
    # Global comment

    [DEFAULT]
    # A comment
    debug = false
    #my_ip = <host_ipv4>

    [database]
    ; semicolon comment
    connection=sqlite:////var/lib/nova/nova.sqlite
    """
)


# -- reading -----------------------------------------------------------------


def test_round_trip_without_edits_is_byte_identical():
    assert edit(SAMPLE) == SAMPLE


def test_round_trip_keeps_crlf_and_missing_final_newline():
    text = "[DEFAULT]\r\ndebug = true\r\n\r\n[a]\r\nb = c"
    assert edit(text) == text
    assert values(text, "DEFAULT", "debug") == ["true"]
    assert values(text, "a", "b") == ["c"]


def test_key_value_without_spaces_and_colon_separator():
    text = "[s]\na=1\nb: 2\nc : 3\n"
    assert values(text, "s", "a") == ["1"]
    assert values(text, "s", "b") == ["2"]
    assert values(text, "s", "c") == ["3"]


@pytest.mark.parametrize(
    "value",
    [
        "mysql+pymysql://nova:p=ss@db/nova?charset=utf8",
        "100%",
        "%(here)s/api-paste.ini",
        "a:b:c",
        "value # not a comment",
        "#hash-first",
        "x;y",
        "=",
    ],
)
def test_special_characters_are_part_of_the_value(value):
    text = f"[s]\nk = {value}\n"
    assert values(text, "s", "k") == [value]
    assert values(edit("[s]\n", {"s": {"k": value}}), "s", "k") == [value]


def test_split_happens_at_first_equal_or_colon():
    text = "[s]\nurl = http://h:5000/v3\nhost: a=b\n"
    assert values(text, "s", "url") == ["http://h:5000/v3"]
    assert values(text, "s", "host") == ["a=b"]


def test_default_is_a_real_section_without_inheritance():
    text = "[DEFAULT]\ndebug = true\n[database]\nconnection = x\n"
    document = IniDocument(text)
    assert document.sections() == ["DEFAULT", "database"]
    assert document.values("DEFAULT", "debug") == ["true"]
    assert document.values("database", "debug") == []
    assert document.values("default", "debug") == []


def test_keys_before_any_header_live_in_the_empty_section():
    text = "top = 1\n[DEFAULT]\ntop = 2\n"
    document = IniDocument(text)
    assert document.sections() == ["", "DEFAULT"]
    assert document.values("", "top") == ["1"]
    assert document.values("DEFAULT", "top") == ["2"]
    assert IniDocument("# only a comment\n[a]\n").sections() == ["a"]


def test_repeated_key_is_multi_valued_and_repeated_sections_merge():
    text = "[s]\nk = 1\nother = x\nk = 2\n[t]\nk = 9\n[s]\nk = 3\n"
    assert values(text, "s", "k") == ["1", "2", "3"]
    assert IniDocument(text).sections() == ["s", "t"]


def test_indented_continuation_lines_join_with_newline():
    text = "[s]\nk = first\n    second\n\tthird\n\n  stray\nj = 1\n"
    assert values(text, "s", "k") == ["first\nsecond\nthird"]
    assert values(text, "s", "j") == ["1"]


def test_quoted_values_are_unquoted_like_oslo():
    text = "[s]\na = \"quoted\"\nb = 'single'\nc = \"mismatch'\nd = \"\n"
    assert values(text, "s", "a") == ["quoted"]
    assert values(text, "s", "b") == ["single"]
    assert values(text, "s", "c") == ["\"mismatch'"]
    assert values(text, "s", "d") == [""]


def test_commented_and_invalid_lines_are_not_options():
    text = "[s]\n#k = 1\n;j = 2\n[broken\nnot an assignment\n= no key\n"
    document = IniDocument(text)
    assert document.values("s", "k") == []
    assert document.values("s", "j") == []
    assert document.sections() == ["s"]
    assert edit(text) == text


def test_empty_document():
    document = IniDocument("")
    assert document.sections() == []
    assert document.render() == ""


# -- writing -----------------------------------------------------------------


def test_replace_in_place_keeps_everything_else():
    out = edit(SAMPLE, {"DEFAULT": {"debug": True}, "database": {"connection": "mysql://x"}})
    assert out == SAMPLE.replace("debug = false", "debug = true").replace(
        "connection=sqlite:////var/lib/nova/nova.sqlite", "connection = mysql://x"
    )


def test_new_key_goes_right_after_its_commented_default():
    out = edit(SAMPLE, {"DEFAULT": {"my_ip": "10.0.0.1"}})
    assert "#my_ip = <host_ipv4>\nmy_ip = 10.0.0.1\n\n[database]" in out


def test_new_key_without_commented_default_goes_after_last_line_of_section():
    out = edit(SAMPLE, {"DEFAULT": {"state_path": "/var/lib/nova"}})
    assert "#my_ip = <host_ipv4>\nstate_path = /var/lib/nova\n\n[database]" in out


def test_indented_examples_in_help_text_are_not_commented_defaults():
    text = "[pci]\n# Example::\n#\n#     alias = {...}\n#\n#alias =\n\n# other help\n"
    out = edit(text, {"pci": {"alias": "x"}})
    assert out == "[pci]\n# Example::\n#\n#     alias = {...}\n#\n#alias =\nalias = x\n\n# other help\n"


def test_commented_default_in_another_section_is_ignored():
    text = "[a]\n#k = 1\n\n[b]\nx = 1\n"
    assert edit(text, {"b": {"k": "2"}}) == "[a]\n#k = 1\n\n[b]\nx = 1\nk = 2\n"


def test_new_key_in_empty_section_goes_after_header():
    assert edit("[a]\n\n[b]\n", {"a": {"k": 1}}) == "[a]\nk = 1\n\n[b]\n"


def test_missing_sections_are_created_default_first():
    text = "# header comment\n\n[database]\nconnection = x\n"
    out = edit(text, {"DEFAULT": {"debug": True}, "api": {"auth_strategy": "keystone"}})
    assert out == (
        "# header comment\n\n[DEFAULT]\ndebug = true\n\n[database]\nconnection = x\n"
        "\n[api]\nauth_strategy = keystone\n"
    )


def test_sections_are_created_in_an_empty_document():
    out = edit("", {"DEFAULT": {"a": 1}, "s": {"b": 2}})
    assert out == "[DEFAULT]\na = 1\n\n[s]\nb = 2\n"


def test_append_after_last_line_without_newline():
    assert edit("[s]\na = 1", {"s": {"b": 2}}) == "[s]\na = 1\nb = 2\n"
    assert edit("[s]\na = 1", {"t": {"b": 2}}) == "[s]\na = 1\n\n[t]\nb = 2\n"
    assert edit("[s]\na = 1", {"s": {"a": 2}}) == "[s]\na = 2\n"


def test_keys_before_any_header_can_be_set():
    out = edit("# top\n[s]\nk = 1\n", {"": {"g": "x"}})
    assert out == "# top\ng = x\n[s]\nk = 1\n"
    assert values(out, "", "g") == ["x"]


def test_list_value_writes_key_once_per_item_in_order():
    out = edit("[s]\n#f = a\nz = 1\n", {"s": {"f": ["b", "a", 3]}})
    assert out == "[s]\n#f = a\nf = b\nf = a\nf = 3\nz = 1\n"
    assert values(out, "s", "f") == ["b", "a", "3"]


def test_setting_replaces_all_duplicates_at_the_first_occurrence():
    text = "[s]\nk = 1\nx = y\nk = 2\n[t]\n[s]\nk = 3\n"
    assert edit(text, {"s": {"k": "new"}}) == "[s]\nk = new\nx = y\n[t]\n[s]\n"
    assert edit(text, {"s": {"k": ["a", "b"]}}) == "[s]\nk = a\nk = b\nx = y\n[t]\n[s]\n"


def test_replacing_a_multi_line_value_removes_its_continuation_lines():
    text = "[s]\nk = a\n    b\nj = 1\n"
    assert edit(text, {"s": {"k": "c"}}) == "[s]\nk = c\nj = 1\n"


def test_multi_line_value_is_written_as_continuation_lines():
    out = edit("[s]\n", {"s": {"k": "a\nb"}})
    assert out == "[s]\nk = a\n    b\n"
    assert values(out, "s", "k") == ["a\nb"]


@pytest.mark.parametrize("value", [" padded ", '"quoted"', "'", "", "a\tb"])
def test_values_oslo_would_strip_are_quoted_and_read_back(value):
    out = edit("[s]\n", {"s": {"k": value}})
    assert values(out, "s", "k") == [value]
    assert not out.endswith(" \n")


def test_delete_removes_every_occurrence_and_keeps_comments():
    text = "[s]\n#k = default\nk = 1\n    more\nj = 2\nk = 3\n"
    assert edit(text, remove={"s": ["k"]}) == "[s]\n#k = default\nj = 2\n"


def test_empty_list_deletes():
    assert edit("[s]\nk = 1\n", {"s": {"k": []}}) == "[s]\n"


def test_changes_and_idempotence():
    document = IniDocument("[s]\nk = 1\nm = a\nm = b\n")
    document.set("s", "k", ["1"])
    document.set("s", "m", ["a", "b"])
    document.delete("s", "missing")
    assert document.changes() == []
    document.set("s", "k", ["2"])
    assert document.changes() == [("s", "k", ["1"], ["2"])]


def test_semantically_equal_quoted_value_is_not_a_change():
    document = IniDocument('[s]\nk = "v"\n')
    document.set("s", "k", ["v"])
    assert document.changes() == []


def test_large_file_edit_is_local():
    body = "".join(f"#opt{i} = default\n\n" for i in range(5000))
    text = f"[DEFAULT]\n{body}[other]\n{body}"
    settings = {"DEFAULT": {f"opt{i}": i for i in range(0, 5000, 250)}}
    out = edit(text, settings)
    assert out.count("\n") == text.count("\n") + 20
    added = [line for line in out.splitlines() if line and not line.startswith(("#", "["))]
    assert added == [f"opt{i} = {i}" for i in range(0, 5000, 250)]
    assert [line for line in out.splitlines() if line not in added] == text.splitlines()
    document = IniDocument(out)
    assert document.values("DEFAULT", "opt250") == ["250"]
    assert document.values("other", "opt250") == []


# -- normalisation of Salt/YAML values ---------------------------------------


def test_values_are_normalised():
    wanted = oc._wanted_settings(
        {"DEFAULT": {"debug": True, "verbose": False, "workers": 4, "ratio": 1.5, "l": ("a", 1)}}
    )
    assert wanted == {
        ("DEFAULT", "debug"): ["true"],
        ("DEFAULT", "verbose"): ["false"],
        ("DEFAULT", "workers"): ["4"],
        ("DEFAULT", "ratio"): ["1.5"],
        ("DEFAULT", "l"): ["a", "1"],
    }


def test_int_section_and_key_names_become_strings():
    assert oc._wanted_settings({1: {2: 3}}) == {("1", "2"): ["3"]}


def test_normalise_escapes_for_oslo_only():
    assert ini_module.normalise("s", "k", ["a$b", True]) == ["a\\$b", "true"]
    assert ini_module.normalise("s", "k", "a$b", oslo=False) == ["a$b"]
    assert ini_module.escape("a$b") == oc.escape("a$b") == "a\\$b"


@pytest.mark.parametrize("value", ["plain", "pa$word", "a\\$b", "$$", "x$", "${a}$b"])
def test_unescape_reads_back_what_escape_wrote(value):
    assert ini_module.unescape(ini_module.escape(value)) == value


def test_display_of_values():
    assert ini_module.display([]) is None
    assert ini_module.display(["a"]) == "a"
    assert ini_module.display(("a", "b")) == ["a", "b"]


@pytest.mark.parametrize(
    "settings",
    [
        {"s": {"k": None}},
        {"s": {"k": {"nested": 1}}},
        {"s": {"k": [["nested"]]}},
        {"s": {"k": "a\n\nb"}},
        {"s": {"k": "a\n  indented"}},
        {"s": {"bad=key": 1}},
        {"s": {"bad:key": 1}},
        {"s": {"#comment": 1}},
        {"s": {" padded": 1}},
        {"s": ["not", "a", "mapping"]},
        ["not", "a", "mapping"],
    ],
)
def test_invalid_settings_are_rejected(settings):
    with pytest.raises(CommandExecutionError):
        oc._wanted_settings(settings)


def test_rejected_value_is_not_echoed():
    with pytest.raises(CommandExecutionError) as info:
        oc._wanted_settings({"s": {"password": "Secret\n\nPW"}})
    assert "Secret" not in str(info.value)


def test_removal_specs():
    assert oc._unwanted_options({"s": ["a", "b"], "t": "c", "u": {"d": None}}) == [
        ("s", "a"),
        ("s", "b"),
        ("t", "c"),
        ("u", "d"),
    ]
    with pytest.raises(CommandExecutionError):
        oc._unwanted_options({"s": None})


@pytest.mark.parametrize(
    "mode, expected",
    [(640, 0o640), ("0640", 0o640), ("0o640", 0o640), ("640", 0o640), (None, None), ("2775", 0o2775)],
)
def test_modes_follow_salt_conventions(mode, expected):
    assert oc._mode(mode) == expected


@pytest.mark.parametrize("mode", ["rw-r-----", "0999", "17777", ""])
def test_invalid_modes_are_rejected(mode):
    with pytest.raises(CommandExecutionError):
        oc._mode(mode)


# -- whole sections: the backends taken out of a list ---------------------------

CINDER = ini(
    """
    [DEFAULT]
    enabled_backends = lvm
    # a single-backend cinder.conf of old set its driver here
    volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver

    [lvm]
    volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
    volume_group = cinder-volumes

    [ceph]
    # the rbd backend
    volume_driver = cinder.volume.drivers.rbd.RBDDriver
    rbd_user = cinder
    rbd_secret_uuid = 0b0f4d5e-0000-4000-8000-000000000000

    [database]
    connection = mysql+pymysql://cinder:DB_S3cr3t@ctl/cinder

    [nfs]
    volume_driver = cinder.volume.drivers.nfs.NfsDriver
    """
)


def prune(text, having="volume_driver", keep=()):
    document = IniDocument(text)
    document.remove_sections(having, keep)
    return document.removed_sections(), document.render()


def test_sections_setting_the_option_outside_keep_go_whole():
    removed, text = prune(CINDER, keep=["lvm"])
    assert removed == [
        ("ceph", {
            "volume_driver": ["cinder.volume.drivers.rbd.RBDDriver"],
            "rbd_user": ["cinder"],
            "rbd_secret_uuid": ["0b0f4d5e-0000-4000-8000-000000000000"],
        }),
        ("nfs", {"volume_driver": ["cinder.volume.drivers.nfs.NfsDriver"]}),
    ]
    assert text == CINDER.split("[ceph]")[0] + (
        "[database]\nconnection = mysql+pymysql://cinder:DB_S3cr3t@ctl/cinder\n"
    )
    assert IniDocument(text).sections() == ["DEFAULT", "lvm", "database"]


def test_the_comment_heading_the_next_section_stays():
    """Comment lines right above the next header are that section's, not
    the removed one's; the removed section's own comments go with it."""
    text = ("[DEFAULT]\nenabled_backends = lvm\n\n"
            "[ceph]\n# the rbd pool\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\n\n"
            "# the LVM backend\n; its volume group\n[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n")
    removed, out = prune(text, keep=["lvm"])
    assert [name for name, _ in removed] == ["ceph"]
    assert out == ("[DEFAULT]\nenabled_backends = lvm\n\n"
                   "# the LVM backend\n; its volume group\n[lvm]\n"
                   "volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n")


def test_default_sections_without_the_option_and_kept_ones_stay():
    removed, text = prune(CINDER, keep=["lvm", "ceph", "nfs"])
    assert (removed, text) == ([], CINDER)
    removed, text = prune(CINDER, having="connection", keep=[])
    assert [section for section, _ in removed] == ["database"]
    assert "[DEFAULT]" in text and "[database]" not in text and "[nfs]" in text
    # [DEFAULT] and the lines before any header are never removed
    removed, text = prune("volume_driver = x\n[DEFAULT]\nvolume_driver = y\n")
    assert (removed, text) == ([], "volume_driver = x\n[DEFAULT]\nvolume_driver = y\n")


def test_section_names_compare_as_oslo_reads_them():
    text = "[DEFAULT]\na = 1\n\n[Ceph]\nvolume_driver = x\n\n[lvm]\nvolume_driver = y\n[CEPH]\nk = v\n"
    assert prune(text, keep=["ceph", "LVM"]) == ([], text)
    removed, rendered = prune(text, keep=["lvm"])
    assert removed == [("Ceph", {"volume_driver": ["x"], "k": ["v"]})]
    # every block of the section goes; the file keeps no trailing blank line
    assert rendered == "[DEFAULT]\na = 1\n\n[lvm]\nvolume_driver = y\n"


def test_removing_the_last_section_leaves_no_trailing_blank_lines():
    removed, text = prune("[DEFAULT]\na = 1\n\n\n[rbd]\nvolume_driver = x\n\n")
    assert [section for section, _ in removed] == ["rbd"]
    assert text == "[DEFAULT]\na = 1\n"
    removed, text = prune("[rbd]\nvolume_driver = x\n")
    assert text == ""


def test_removal_keeps_crlf_and_other_lines_byte_identical():
    text = "[DEFAULT]\r\nenabled_backends = lvm\r\n\r\n[old]\r\nvolume_driver = x\r\n\r\n[lvm]\r\nvolume_driver = y"
    _, rendered = prune(text, keep=["lvm"])
    assert rendered == "[DEFAULT]\r\nenabled_backends = lvm\r\n\r\n[lvm]\r\nvolume_driver = y"


def test_options_of_a_section_in_file_order():
    document = IniDocument("[s]\nb = 1\na = 2\nb = 3\n[t]\nc = 4\n[S]\nd = 5\n")
    assert document.options("s") == {"b": ["1", "3"], "a": ["2"], "d": ["5"]}
    assert list(document.options("s")) == ["b", "a", "d"]
    assert document.options("missing") == {}


def test_edits_of_a_removed_section_are_not_changes():
    document = IniDocument(CINDER)
    document.set("ceph", "rbd_user", ["other"])
    document.remove_sections("volume_driver", ["lvm", "nfs"])
    assert document.changes() == []
    assert "[ceph]" not in document.render()


@pytest.mark.parametrize(
    "keep, message",
    [
        ({"lvm": 1}, "keep must be a list of section names"),
        ([1, 2], "keep must be a list of section names"),
        (["a\nb"], "invalid section name"),
    ],
)
def test_invalid_keep_lists_are_rejected(keep, message):
    with pytest.raises(CommandExecutionError, match=message):
        oc._keep_list(keep)


def test_keep_accepts_none_a_name_or_a_list():
    assert oc._keep_list(None) == []
    assert oc._keep_list("lvm") == ["lvm"]
    assert oc._keep_list(("lvm", "ceph")) == ["lvm", "ceph"]
