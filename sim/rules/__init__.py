"""Every rule of the model, written once: one module per mechanism, small functions of scalars (per organization
or per pair) that numba compiles into the month as they are (:mod:`sim.jit`).

Rules hold no state and draw no random numbers: they give values and chances, and the month (:mod:`sim.month`)
decides the events with the model's generator, then applies everything at once.
"""
