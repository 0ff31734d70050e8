"""What the LMSs put in their bulk downloads and what their grade importers read.

* :mod:`.roster` -- the class list (the tool's CSV or nbgrader's), with one lookup per id space;
* :mod:`.canvas` -- Canvas "Download Submissions" names and the gradebook CSV;
* :mod:`.moodle` -- Moodle "Download all submissions" names, the grading worksheet and gradebook CSV.

The formats and the LMS source files they come from are in ``autograder/LMS.md``.
"""
