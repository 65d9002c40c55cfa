"""Masking of secrets in the change reports of openstack_config."""
from saltext_openstack._modules import openstack_config as oc


def test_reports_mask_with_six_stars():
    """The rules: test_saltext_openstack_mask.py; this module's mask is its own."""
    assert oc.MASK == "******"


def test_option_report_masks_old_and_new_values():
    report = oc._option_report(
        [
            ("database", "connection", ["mysql://n:OLD@h/n"], ["mysql://n:NEW@h/n"]),
            ("keystone_authtoken", "password", [], ["KSPASS"]),
            ("filter_scheduler", "enabled_filters", ["A"], ["A", "B"]),
            ("DEFAULT", "transport_url", ["rabbit://u:P1@h/", "rabbit://u:P2@g/"], []),
        ]
    )
    assert report == {
        "database": {"connection": {"old": "mysql://n:******@h/n", "new": "mysql://n:******@h/n"}},
        "keystone_authtoken": {"password": {"old": None, "new": "******"}},
        "filter_scheduler": {"enabled_filters": {"old": "A", "new": ["A", "B"]}},
        "DEFAULT": {
            "transport_url": {"old": ["rabbit://u:******@h/", "rabbit://u:******@g/"], "new": None}
        },
    }
