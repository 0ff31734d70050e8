"""Feedback: nbgrader's HTML feedback per student, without any hidden test's text.

``feedback.py`` runs nbgrader's ``generate_feedback``; ``clear_hidden_outputs.py`` is the
preprocessor (named in ``nbgrader_config.py``) that removes what a hidden test printed or quoted;
``sanitize.py`` makes the page safe to open (student content as text only, no scripts of theirs).

May import: ``course``, ``errors``; never ``grading``, ``lms`` or ``checks``.
"""
