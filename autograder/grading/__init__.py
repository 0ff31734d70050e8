"""Grading: every submission of an assignment graded in its own job, the results merged into the gradebook.

``pool.py`` runs the jobs (local workers, ``worker.py``, or a Dask cluster) and keeps a journal so an
interrupted run resumes; ``job.py`` builds one private job directory per submission; in the worker's
forked child ``run.py`` grades it: ``place.py`` writes its box settings, ``check_service.py`` starts
the hidden checks' service, ``repair.py`` undoes tampering with locked cells, nbgrader autogrades
through ``execute.py``, and ``verdicts.py`` keeps a test cell's points only if the service saw its
checks pass. Back in the parent, ``gradebook.py`` merges the result (keeping manual grades) and
``late.py`` applies the late policy.

May import: ``checks``, ``sandbox``, ``lms.records`` (what the LMS said about a submission),
``course``, ``late_policy``, ``errors``; never ``feedback`` or the cli.
"""
