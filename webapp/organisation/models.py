"""The organisation (one per deployment), its sites, and the hours worked at each."""
from datetime import date

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

PROFILE_LABELS = {
    "privacy_act_covered": "Covered by the Australian Privacy Act (turnover over A$3M)",
    "apra_regulated": "APRA-regulated entity (CPS 234 applies)",
    "soci_entity": "Critical infrastructure asset (SOCI Act)",
    "gdpr_controller": "GDPR data controller",
    "nis_operator": "UK operator of essential services (NIS)",
    "nis2_entity": "EU NIS2 essential or important entity",
    "customer_contract": "Customer contracts set notification windows",
}


class Organisation(db.Model):
    """The organisation using this deployment, with the profile that decides which rules apply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    privacy_act_covered: Mapped[bool] = mapped_column(Boolean, default=False)
    apra_regulated: Mapped[bool] = mapped_column(Boolean, default=False)
    soci_entity: Mapped[bool] = mapped_column(Boolean, default=False)
    gdpr_controller: Mapped[bool] = mapped_column(Boolean, default=False)
    nis_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    nis2_entity: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_contract: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_targets: Mapped[dict | None] = mapped_column(JSON)  # {"P1": {"response": "10m"}}: changes to the defaults

    @classmethod
    def current(cls) -> "Organisation":
        """The one organisation, created empty if the database has none yet."""
        org = db.session.scalar(db.select(cls).order_by(cls.id).limit(1))
        if org is None:
            org = cls(name="Unnamed organisation", **{flag: False for flag in PROFILE_LABELS})
            db.session.add(org)
            db.session.flush()
        return org

    def profile(self) -> dict[str, bool]:
        """The profile flags as a plain dict, for the rules."""
        return {flag: bool(getattr(self, flag)) for flag in PROFILE_LABELS}

    def to_json(self) -> dict:
        return {"name": self.name, **self.profile()}


class Site(db.Model):
    """A place where incidents happen; its jurisdiction and time zone drive rules and clocks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    stakeholders: Mapped[list[str] | None] = mapped_column(JSON)  # emailed customer and public status updates

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "jurisdiction": self.jurisdiction,
            "timezone": self.timezone,
        }


class SiteHours(db.Model):
    """Hours worked at a site in a calendar month: what injury frequency rates are counted against."""

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    hours: Mapped[float] = mapped_column(Float)

    def to_json(self, site_code: str) -> dict:
        return {"site": site_code, "month": f"{self.month:%Y-%m}", "hours": self.hours}
