"""The course's grading side: nbgrader configuration, hidden checks and the grading pipeline.

Never shipped to students. ``autograder.checks`` must be importable by the grading kernel:
the repository root has to be on its ``sys.path`` (``nbgrader_config.py`` puts it on
``PYTHONPATH`` for every kernel nbgrader starts).
"""
