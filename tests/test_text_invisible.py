"""autograder.text.printable shows Unicode's invisible reordering characters too ("Trojan Source",
CVE-2021-42574): a student id or a line of code that a terminal or a report would show in another
order than it is, or with a hidden split, is shown with the character spelled out."""
from autograder.text import printable


def test_bidi_overrides_and_invisible_splits_are_spelled_out():
    # 'alice' + RIGHT-TO-LEFT OVERRIDE shows as 'alicexe.gnp' in a terminal; the isolate hides order
    assert printable("alice\u202egnp.exe", one_line=True) == "alice\\u202egnp.exe"
    assert printable("if x:\u2067 # comment\u2069\n") == "if x:\\u2067 # comment\\u2069\n"
    assert printable("bo\u200bb\ufeff") == "bo\\u200bb\\ufeff"


def test_names_in_any_script_stay_as_they_are():
    for name in ("Müller, José ✓", "محمد\u200cرضا", "日本 太郎", "👩\u200d💻 Ada"):  # ZWNJ/ZWJ are letters' joiners
        assert printable(name, one_line=True) == name
