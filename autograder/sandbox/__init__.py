"""Isolation primitives: the box a student's process runs in, and a uid of its own per job.

``box.py`` is standard-library only and runs as a script before the kernel exists (a job's copy of
it also serves the check service's zygote); ``uids.py`` hands out one dedicated uid per running job
and kills everything that uid left behind. ``SECURITY.md`` says what they protect against.

May import: nothing of the grader (the bottom layer).
"""
