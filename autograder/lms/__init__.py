"""What comes in from an LMS and what goes out to it.

* :mod:`.collect` -- submissions from a folder or an LMS bulk download into nbgrader's ``submitted/``;
* :mod:`.records` -- what the LMS said about each submission, and the roster in the gradebook;
* :mod:`.export` -- grades as the LMSs' importers read them;
* :mod:`.roster` -- the class list (the tool's CSV or nbgrader's), with one lookup per id space;
* :mod:`.canvas` -- Canvas "Download Submissions" names and the gradebook CSV;
* :mod:`.moodle` -- Moodle "Download all submissions" names, the grading worksheet and gradebook CSV.

The formats and the LMS source files they come from are in ``autograder/LMS.md``.

May import: ``course``, ``errors``; never ``grading`` (collecting does not depend on grading: the
gradebook merge reads :mod:`.records`, not the other way round), ``checks``, ``sandbox`` or ``feedback``.
"""
