"""Regulator packs for one incident: the facts each triggered regulator's form asks for (rules/packs.py),
filled from the incident, its investigation, its corrective actions and its status updates."""
from __future__ import annotations

from dataclasses import dataclass

from ..auth.models import User
from ..comms.service import updates_of
from ..incidents.models import Incident
from ..learning import investigation, reviews
from ..obligations.service import obligations_of
from ..organisation.models import Organisation
from ..rules.learning import ACTION_STATES, ROOT_CAUSE_CATEGORIES
from ..rules.packs import REGULATORS, Pack, PackFacts, pack_for

# The steps that tell the regulator (not records, assessments, notices to individuals or a preserved site).
TELLS_REGULATOR = ("notify", "authority", "oaic", "early_warning", "notification", "report")


def _causes(incident: Incident) -> str | None:
    found = investigation.investigation_of(incident)
    if found is None:
        return None
    parts = []
    if found.root_cause:
        category = ROOT_CAUSE_CATEGORIES.get(found.root_cause_category or "", "")
        parts.append(f"Root cause{f' ({category})' if category else ''}: {found.root_cause}")
    if found.immediate_causes:
        parts.append("Immediate causes: " + "; ".join(found.immediate_causes))
    if found.underlying_causes:
        parts.append("Underlying causes: " + "; ".join(found.underlying_causes))
    return ". ".join(parts) or None


def _measures(incident: Incident) -> tuple[str, ...]:
    """Corrective actions and the updates written for customers or the public (internal updates stay in
    the app: what is pasted to a regulator should be what the organisation has said outside)."""
    actions = [f"{a.title} ({ACTION_STATES[a.status].lower()}, due {a.due_date:%d %b %Y})"
               for a in reviews.actions_of(incident)]
    updates = [f"Update {u.at:%d %b %H:%M} UTC: {u.text}" for u in updates_of(incident) if u.audience != "internal"]
    return tuple(actions + updates)


@dataclass(frozen=True)
class RegulatorPack:
    pack: Pack
    not_required: str | None  # every step that would tell this regulator is not required: why


def packs_of(incident: Incident, preparer: User) -> list[RegulatorPack]:
    """A pack for each regulator the incident's obligations name, in their order, as `preparer` (the person
    reading them, who will fill in the regulator's form) would send them; none for a cancelled incident."""
    if incident.status == "cancelled":
        return []
    rows = [row for row in obligations_of(incident) if row.applies and row.regime in REGULATORS]
    regimes = list(dict.fromkeys(row.regime for row in rows))
    if not regimes:
        return []
    location = incident.location
    common = dict(
        reference=incident.reference, organisation=Organisation.current().name, site_name=incident.site.name,
        site_code=incident.site.code, jurisdiction=incident.site.jurisdiction, timezone=incident.site.timezone,
        occurred_at=incident.occurred_at, aware_at=incident.aware_at, reported_at=incident.reported_at,
        description=incident.description, answers=dict(incident.answers), categories=tuple(incident.categories),
        severity=incident.severity, location=(location["lat"], location["lon"]) if location else None,
        contact=f"{preparer.name} <{preparer.email}>", causes=_causes(incident), measures=_measures(incident))
    packs = []
    for regime in regimes:
        telling = [row for row in rows if row.regime == regime and row.step in TELLS_REGULATOR]
        done = [row.done_at for row in telling if row.status == "done" and row.done_at]
        skipped = [row for row in telling if row.status == "not_required"]
        reason = "; ".join(dict.fromkeys(row.not_required_reason or "" for row in skipped)).strip("; ")
        packs.append(RegulatorPack(pack_for(regime, PackFacts(**common, notified_at=min(done) if done else None)),
                                   (reason or "not required") if telling and len(skipped) == len(telling) else None))
    return packs
