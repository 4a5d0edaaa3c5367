"""What a phase's gate may ask for: deal fields that must be filled, and named rules that must hold.

Admins pick from these in the phase admin; a gate failure names each missing field and broken rule.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GATE_FIELDS: dict[str, object] = {
    "first_meeting_on": _("first meeting date"),
    "first_meeting_attendees": _("first meeting attendees"),
    "amount": _("amount (JPY)"),
    "service": _("service"),
    "quantity": _("quantity considered"),
    "decision_maker": _("decision maker"),
    "expected_close_on": _("expected close date"),
    "contract_on": _("contract date"),
    "lost_reason": _("lost reason"),
    "next_action_on": _("next action date"),
    "bant_budget": _("budget"),
    "bant_authority": _("authority"),
    "bant_needs": _("needs"),
    "bant_timeframe": _("timeframe"),
}

# code: (message, check, the fields it reads). A rule over a field that is missing is not reported:
# the missing field already says what to do.
GATE_RULES: dict[str, tuple[object, object, tuple[str, ...]]] = {
    "bant_complete": (
        _("BANT must be complete (budget, authority, needs and timeframe heard)."),
        lambda opp: opp.bant_complete,
        (),
    ),
    "amount_positive": (_("The amount must be more than zero."), lambda opp: opp.amount > 0, ("amount",)),
    "first_meeting_held": (
        _("The first meeting date cannot be in the future."),
        lambda opp: opp.first_meeting_on <= timezone.localdate(),
        ("first_meeting_on",),
    ),
    "attendees_positive": (
        _("At least one person must have attended the first meeting."),
        lambda opp: opp.first_meeting_attendees > 0,
        ("first_meeting_attendees",),
    ),
}


def _filled(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def gate_failures(phase, opportunity) -> tuple[list[str], list[str]]:
    """The fields missing and the rules broken for ``opportunity`` to enter ``phase``."""
    missing = [f for f in phase.required_fields if f in GATE_FIELDS and not _filled(getattr(opportunity, f))]
    broken = []
    for code in phase.rules:
        if code not in GATE_RULES:
            continue
        _message, check, reads = GATE_RULES[code]
        if all(_filled(getattr(opportunity, f)) for f in reads) and not check(opportunity):
            broken.append(code)
    return missing, broken


class GateFailed(ValidationError):
    """A deal does not meet the gate of the phase it was to enter: missing fields and broken rules."""
