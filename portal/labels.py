"""Labels of stored codes that cut across the areas: alert severities, the channel a report came in by,
audit actions and the objects they touch. A reader sees the label in their language, never the code.

Each area keeps the labels of its own states and kinds next to its models (a Workflow's state_labels,
the *_LABELS dicts, the *_label template globals); this module holds the ones no single area owns. An
audit action is "<object>.<verb>" (a Workflow writes "<workflow name>.<action>"): its label is put together
from the two parts' labels, so a new step of a known document needs no new entry.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from .workflow import WORKFLOWS

SEVERITY_LABELS = {"info": _l("Information"), "warning": _l("Warning"), "critical": _l("Critical")}
CHANNEL_LABELS = {"web": _l("Website"), "open311": _l("Open311 interface"), "api": _l("API"),
                  "email": _l("E-mail"), "sms": _l("SMS")}
# What `wufei ledger verify` found wrong with an event of the hash chain (portal.regulatory.ledger.services)
LEDGER_PROBLEM_LABELS = {"reordered": _l("out of order"), "modified": _l("changed after it was recorded"),
                         "deleted": _l("missing"), "truncated": _l("later events missing"),
                         "rewritten": _l("rewritten after a published checkpoint"),
                         "forged": _l("checkpoint without the platform's signature")}
RECEIPT_OUTCOME_LABELS = {"accepted": _l("Accepted"), "partly": _l("Partly accepted"), "refused": _l("Refused")}

# What an audit entry is about: its object_type (a table name) or the first part of its action
OBJECT_LABELS = {
    "alert": _l("Alert"), "alerts": _l("Alert"), "alert_setting": _l("Alert threshold"),
    "alert_settings": _l("Alert threshold"), "batch": _l("Waste batch"), "batches": _l("Waste batch"),
    "case": _l("Case"), "cases": _l("Case"), "case_duty_rules": _l("Duty matrix"),
    "case_time_limits": _l("Case time limits"), "case_meetings": _l("Coordination meeting"),
    "calendar": _l("Working-day calendar"), "calendar_days": _l("Working-day calendar"),
    "catalogue": _l("Waste catalogue"), "catalogue_editions": _l("Waste catalogue"),
    "container": _l("Waste container"), "containers": _l("Waste container"), "deal": _l("Deal"), "deals": _l("Deal"),
    "deal_threads": _l("Message thread"), "thread": _l("Message thread"), "declaration": _l("Declaration"),
    "declarations": _l("Declaration"), "demand": _l("Demand post"), "demands": _l("Demand post"),
    "device": _l("Weighing device"),
    "emergency_plan": _l("Emergency plan"), "emergency_plans": _l("Emergency plan"),
    "emergency_template": _l("Plan template"), "emergency_plan_templates": _l("Plan template"),
    "emergency_incident": _l("Incident"), "emergency_incidents": _l("Incident"),
    "emergency_scheme": _l("Response scheme"), "response_scheme": _l("Response scheme"), "emergency_schemes": _l("Response scheme"),
    "emergency_resource": _l("Emergency resource"), "emergency_resources": _l("Emergency resource"),
    "emergency_place": _l("Sensitive place"), "emergency_sensitive_places": _l("Sensitive place"),
    "emergency_guidance": _l("Handling guidance"), "weighing_devices": _l("Weighing device"), "device_tokens": _l("Device token"),
    "general_transfer": _l("General waste transfer record"), "general_transfers": _l("General waste transfer record"),
    "hall_document": _l("Information hall document"), "hall_documents": _l("Information hall document"),
    "incoming_transfer": _l("Incoming transfer"), "incoming_transfers": _l("Incoming transfer"),
    "ledger": _l("Ledger"), "ledger_events": _l("Ledger"), "licence": _l("Licence"), "licences": _l("Licence"),
    "listing": _l("Listing"), "listings": _l("Listing"), "management_plan": _l("Management plan"),
    "management_plans": _l("Management plan"), "manifest": _l("Transfer manifest"),
    "manifests": _l("Transfer manifest"), "manifest_revision": _l("Manifest revision"),
    "manifest_revisions": _l("Manifest revision"), "member": _l("Member"), "memberships": _l("Member"),
    "offer": _l("Offer"), "offers": _l("Offer"), "organisation": _l("Organisation"),
    "organisations": _l("Organisation"), "payee_profile": _l("Payee account"), "payee_profiles": _l("Payee account"),
    "payment": _l("Payment"), "payments": _l("Payment"), "refund": _l("Refund"), "refunds": _l("Refund"),
    "refusal_follow_up_setting": _l("Refusal follow-up deadline"), "regulator": _l("Regulator"),
    "regulators": _l("Regulator"), "report": _l("Public report"), "reports": _l("Public report"),
    "signing_key": _l("Signing key"), "signing_keys": _l("Signing key"), "site": _l("Site"), "sites": _l("Site"),
    "storage_facility": _l("Storage facility"), "storage_facilities": _l("Storage facility"),
    "token": _l("API token"), "api_tokens": _l("API token"), "transfer_approval": _l("Transfer approval"),
    "transfer_approvals": _l("Transfer approval"), "transport_licence": _l("Road transport licence"),
    "transport_licences": _l("Road transport licence"), "transport_worker": _l("Driver or escort"),
    "transport_workers": _l("Driver or escort"), "vehicle": _l("Vehicle"), "vehicles": _l("Vehicle"),
    "user": _l("User"), "users": _l("User"), "system": _l("System"),
}

# The second part of an audit action: what was done
VERB_LABELS = {
    "accept": lazy_pgettext("audit", "accepted"), "acknowledge": _l("acknowledged"), "add": _l("added"),
    "approve": _l("approved"), "approve_revision": _l("revision approved"), "assign": _l("assigned"),
    "attach": _l("file attached"), "detach": _l("file removed"), "redraft": _l("taken back to draft"),
    "bank_account": _l("bank account entered"), "cancel": _l("cancelled"), "cancelled": _l("cancelled"),
    "close": _l("closed"), "closed": _l("closed"), "comment": _l("commented"), "dispatch": _l("dispatched"),
    "feedback": _l("co-handling feedback added"), "confirm": _l("confirmed"), "correct": _l("corrected"), "counter": _l("counter-offer"),
    "create": _l("created"), "created": _l("created"), "day_added": _l("day added"),
    "day_removed": _l("day removed"), "decline": _l("declined"), "delete": _l("deleted"), "deliver": _l("delivered"),
    "dispute": _l("disputed"), "duplicate": _l("marked as a duplicate"), "enabled": _l("enabled"),
    "edited": _l("edited"), "escalate": _l("escalated"), "file": _l("filed"), "expire": _l("expired"), "fail": _l("failed"), "finish": _l("finished"),
    "follow_up": _l("follow-up manifest"), "hand_over": _l("handed over"), "import": _l("imported"),
    "invited": _l("invited"), "issue": _l("issued"), "issued": _l("issued"), "joined": _l("joined"), "lab_report": _l("lab report attached"),
    "locked": _l("locked"), "merge": _l("merged"), "message": _l("message sent"), "method": _l("method chosen"),
    "open": _l("opened"), "opened": _l("opened"), "password_changed": _l("password changed"),
    "pause": _l("paused"), "photo": _l("photo added"), "pick_up": _l("picked up"), "publish": _l("published"),
    "rate": _l("rated"), "recorded": _l("recorded"), "redo": _l("sent back for more handling"), "reopen": _l("reopened"),
    "reply": _l("result reported"), "route": _l("dispatched by the duty matrix"),
    "supervise": _l("supervised"), "visit": _l("call-back recorded"), "receive": _l("received"), "refund": _l("refunded"), "refund_received": _l("refund received"),
    "registered": _l("registered"), "reject": _l("rejected"), "reject_revision": _l("revision rejected"),
    "rejected": _l("rejected"), "removed": _l("removed"), "resolve": _l("resolved"),
    "resubmitted": _l("submitted again"), "retrieve": _l("taken out of storage"), "return": _l("returned"),
    "revise": _l("revision proposed"), "revoke": _l("revoked"), "revoked": _l("revoked"),
    "role_changed": _l("role changed"), "rotate": _l("rotated"), "scan_exceptions": _l("scan exceptions recorded"),
    "saved": _l("saved"), "sessions_ended": _l("sessions ended"), "settled": _l("settled"), "ship": _l("shipped"), "start": _l("started"),
    "store": _l("put into storage"), "stripe_account": _l("Stripe account linked"),
    "stripe_state": _l("Stripe account state"), "submit": _l("submitted"), "supersede": _l("superseded"), "suspend": _l("suspended"),
    "take_over": _l("taken over"), "token_issued": _l("token issued"), "token_revoked": _l("token revoked"),
    "totp_enabled": _l("two-factor authentication enabled"), "transfer": _l("transferred"), "treat": _l("treated"),
    "unlocked": _l("unlocked"), "update": _l("updated"), "updated": _l("updated"), "verified": _l("verified"),
    "withdraw": _l("withdrawn"),
}

# Actions named in one word (the public reports' older names)
AUDIT_ACTION_LABELS = {
    "report_submitted": _l("Public report: submitted"), "report_moderated": _l("Public report: moderated"),
    "report_escalated": _l("Public report: escalated"), "report_deadline_set": _l("Reports: deadline set"),
    "report_route_set": _l("Reports: routing rule saved"), "report_route_deleted": _l("Reports: routing rule deleted"),
    "report_template_added": _l("Reports: reply template added"),
    "report_template_deleted": _l("Reports: reply template deleted"),
    "case_opened": _l("Case: opened"), "case_duty_set": _l("Duty matrix: row saved"),
    "case_duty_deleted": _l("Duty matrix: row deleted"), "case_time_limit_set": _l("Case time limits: limit set"),
    "case_meeting_scheduled": _l("Coordination meeting: scheduled"),
    "case_meeting_minutes": _l("Coordination meeting: minutes recorded"),
}


def state_label(workflow: str, state: str) -> str:
    """A document's state by the labels of its Workflow (WORKFLOWS names them: 'manifest_revision', …)."""
    return WORKFLOWS[workflow].label(state) if workflow in WORKFLOWS else state


def _labeller(name: str, labels: dict):
    """A template global called `name`: a code's label in the reader's language, or the code when it has none."""
    def label(code: str) -> str:
        return str(labels.get(code, code))

    label.__name__ = label.__qualname__ = name
    return label


severity_label = _labeller("severity_label", SEVERITY_LABELS)
channel_label = _labeller("channel_label", CHANNEL_LABELS)
ledger_problem_label = _labeller("ledger_problem_label", LEDGER_PROBLEM_LABELS)
receipt_outcome_label = _labeller("receipt_outcome_label", RECEIPT_OUTCOME_LABELS)
object_label = _labeller("object_label", OBJECT_LABELS)
verb_label = _labeller("verb_label", VERB_LABELS)


def audit_action_label(action: str) -> str:
    """'report.accept' → 'Public report: accepted'; a code of unknown parts stays as it is."""
    if action in AUDIT_ACTION_LABELS:
        return str(AUDIT_ACTION_LABELS[action])
    thing, _dot, verb = action.rpartition(".")
    if thing in OBJECT_LABELS and verb in VERB_LABELS:
        return _("%(object)s: %(action)s", object=object_label(thing), action=verb_label(verb))
    return action


def init_labels(app) -> None:
    for function in (state_label, severity_label, channel_label, ledger_problem_label, receipt_outcome_label,
                     object_label, audit_action_label):
        app.add_template_global(function)
