"""Button action ids, one StrEnum for every adapter (Slack action_id, WeCom card keys)."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """What a button does; the value it carries is small JSON and never trusted."""

    ALERT_ACK = "alert_ack"
    ALERT_SNOOZE = "alert_snooze"
    ALERT_RESOLVE = "alert_resolve"
    ALERT_REASSIGN = "alert_reassign"
    OPEN_PROFILE = "open_profile"
    INTERVIEW_START = "interview_start"
    RULE_CONFIRM = "rule_confirm"
    RULE_CANCEL = "rule_cancel"
    OPEN_DASHBOARD = "open_dashboard"  # a link button: the click itself does nothing


class CallbackId(StrEnum):
    """Modal (view) callback ids and the input ids inside them (Slack-only; added by issue 8)."""

    SNOOZE_MODAL = "alert_snooze_modal"
    REASSIGN_MODAL = "alert_reassign_modal"
    INTERVIEW_MODAL = "interview_form"
    SNOOZE_REASON = "snooze_reason"
    SNOOZE_DAYS = "snooze_days"
    REASSIGN_TO = "reassign_to"
