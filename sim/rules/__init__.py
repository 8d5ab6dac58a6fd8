"""One module per mechanism: pure functions on arrays, no model, no randomness of their own.

Each function takes the old state (and pre-drawn uniform numbers where chance
enters) and returns new values; the model applies them after all are computed.
"""
