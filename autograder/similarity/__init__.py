"""Similarity: which students' answers are suspiciously alike, read from their notebooks.

A stage beside grading, after collect: it reads the submitted notebooks (``submitted/<s>/<a>/``) and
the released ones (``release/<a>/``), and writes a report; it grades nothing and changes nothing.

* :mod:`.extract` takes from each notebook only the code the student wrote (the answer cells, and
  any code cell that is not the release's), and splits it into the graded functions;
* :mod:`.compare` fingerprints that code with copydetect's winnowing (names, strings, comments and
  layout filtered out, so renaming and reformatting change nothing) minus the release's own code and
  the fingerprints common to much of the class, and scores every pair of students per notebook and
  per graded function;
* :mod:`.report` writes the ranked pairs as an HTML page (the matching code side by side, escaped)
  and a CSV.

It may import the course's layout (:mod:`autograder.course`) and the text helpers; nothing of the
grading, sandbox or LMS stages.
"""
