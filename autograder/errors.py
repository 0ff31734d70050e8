"""The one exception the command line turns into a one-line message.

Raise :class:`InstructorError` for anything the instructor can fix (a misspelled assignment, a
broken download, a missing roster): the message says what is wrong *and what to do*. The command
line prints it on one line, writes the traceback to the course log and exits with status 2.
Anything else is a bug in the tool and is reported as such.
"""


class InstructorError(ValueError):
    """A problem with the instructor's input, with the fix in the message."""
