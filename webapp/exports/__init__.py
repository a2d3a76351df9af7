"""Exports of one incident: the formal incident report (a printable page and a PDF) and the regulator
packs. They read across the features, so they sit with the views at the top of the layers; every view
and download goes on the incident's timeline (REFERENCE section 7)."""
