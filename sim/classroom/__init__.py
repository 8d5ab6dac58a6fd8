"""The classroom: the interactive page (``app``), lessons written to files (``lesson``) and the captions both
tell from a run's state (``narrative``). They read the model's public state only."""
