"""Metrics (REFERENCE section 8): what happened and how well it was handled, over a period and a site.
It reads across the features (incidents, SLA clocks, obligations, corrective actions, investigations),
so it sits with the views at the top of the layers; its worker job keeps each site's day counted."""
from .rollup import init_app

__all__ = ["init_app"]
