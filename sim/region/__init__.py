"""A region: many organizations, who knows whom among them, and a funder whose calls start partnerships.

:class:`sim.region.model.EcosystemModel` is the Mesa model; each partnership that forms is the
single-partnership model on its members, and all of them step together (:mod:`sim.region.table`).
"""
