"""Coordination meetings (协调会议): scheduled with participants and an agenda; the minutes and the decisions
are recorded after it, and each decision opens a case for the department it names (source: meeting)."""
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, auth
from ..accounts.models import Department, User
from ..errors import DomainError, NotFound
from ..extensions import db
from ..types import utcnow
from .models import Case, CaseType, Meeting, MeetingDecision, MeetingParticipant, Source
from .services import can_view, notify, open_case


def _require_organiser(user) -> None:
    """The command centre convenes meetings (济南 第二十九条: the hotline body convenes the units)."""
    if not auth.is_admin(user):
        raise NotFound(_l("Page not found."))


def video_link(meeting_id: int) -> str | None:
    """The meeting's room in the city's video-conference system, when VIDEO_CONFERENCE_URL is configured:
    the URL with {room} replaced by a room name of the platform."""
    template = current_app.config.get("VIDEO_CONFERENCE_URL")
    return template.replace("{room}", f"wufei-meeting-{meeting_id}") if template else None


def schedule_meeting(user, *, title: str, starts_at: datetime, agenda: str, place: str | None,
                     participant_ids: list[int], case: Case | None = None) -> Meeting:
    _require_organiser(user)
    if not participant_ids:
        raise DomainError(_l("Invite at least one participant."),
                          fields={"participants": _l("Invite at least one participant.")})
    if starts_at < utcnow():
        raise DomainError(_l("A meeting is scheduled in the future."),
                          fields={"starts_at": _l("A meeting is scheduled in the future.")})
    meeting = Meeting(title=title.strip(), starts_at=starts_at, agenda=agenda.strip(), place=place or None,
                      case_id=getattr(case, "id", None), created_by_id=user.id)
    db.session.add(meeting)
    db.session.flush()
    meeting.video_url = video_link(meeting.id)
    people = list(db.session.scalars(select(User).where(User.id.in_(participant_ids))))
    for person in people:
        db.session.add(MeetingParticipant(meeting=meeting, user_id=person.id))
    audit.record("case_meeting_scheduled", meeting, actor=user, after={"title": meeting.title,
                                                                       "participants": [p.id for p in people]})
    if case is not None:
        notify(case, people, _("Coordination meeting: %(title)s", title=meeting.title),
               _("You are invited to the coordination meeting %(title)s.", title=meeting.title), email=True)
    return meeting


def record_outcome(user, meeting: Meeting, minutes: str, decisions: list[tuple[str, str]]) -> list[Case]:
    """Record the minutes and the decisions; each decision (text, department) opens its task as a case."""
    _require_organiser(user)
    if not (minutes or "").strip():
        raise DomainError(_l("Required."), fields={"minutes": _l("Required.")})
    meeting.minutes = minutes.strip()
    district = meeting.case.district_code if meeting.case else None
    tasks = []
    for number, (text, department) in enumerate(decisions, start=len(meeting.decisions) + 1):
        if not district:
            raise DomainError(_l("Decisions open cases in the district of the meeting's case."),
                              fields={"decisions": _l("Decisions open cases in the district of the meeting's case.")})
        decision = MeetingDecision(meeting=meeting, text=text.strip(), department=Department(department))
        db.session.add(decision)
        task = open_case(case_type=CaseType.MEETING_TASK, source=Source.MEETING, source_ref=f"{meeting.id}:{number}",
                         title=_("%(meeting)s: decision %(n)s", meeting=meeting.title, n=number),
                         description=decision.text, district_code=district, opened_by=user,
                         lead_department=department, parent=meeting.case)
        decision.task_case_id = task.id
        tasks.append(task)
    audit.record("case_meeting_minutes", meeting, actor=user, after={"decisions": len(decisions)})
    return tasks


def meetings_for(user):
    """The meetings the user convened (the command centre) or is invited to."""
    query = select(Meeting).order_by(Meeting.starts_at.desc())
    if auth.is_admin(user):
        return query
    return query.join(MeetingParticipant).where(MeetingParticipant.user_id == user.id)


def get_meeting(user, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    invited = meeting is not None and any(p.user_id == user.id for p in meeting.participants)
    if meeting is None or not (auth.is_admin(user) or invited or (meeting.case and can_view(user, meeting.case))):
        raise NotFound(_l("Meeting not found."))
    return meeting
