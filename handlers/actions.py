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
