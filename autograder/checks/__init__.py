"""Hidden checks: one module per assignment, one ``check_<function>`` per graded function.

A hidden test cell of an assignment only *calls* a check, e.g.::

    ### BEGIN HIDDEN TESTS
    from autograder.checks.a2_backprop import check_dense_backward; check_dense_backward(dense_backward)
    ### END HIDDEN TESTS

and every check is built with :func:`autograder.checks.isolation.hidden_check`, which runs the
student's function in a fresh process (see that module for why and how).
"""
