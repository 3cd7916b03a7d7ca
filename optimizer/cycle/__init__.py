"""One cycle of the loop, as named phases over one process image.

    read      (read.py)       one batched read -> Snapshot
    validate  (validate.py)   per-tag quality/validity checks -> ValidatedInputs
    update    (update.py)     ModelInputs for the model's mutable parameters
    solve     (solve.py)      time-limited MILP solve, off the event loop -> PlanResult
    interlock (interlock.py)  bounds, move limits, permissive, rules -> WritePlan
    write     (write.py)      one batched write + read-back -> WriteReport
    record    (record.py)     one DecisionRecord appended to the decision log

``runner.CycleRunner`` runs them in order. A failing phase sets a fault on the image and the
cycle still ends in a recorded outcome; no exception leaves ``CycleRunner.run_once``.
"""
