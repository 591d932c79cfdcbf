"""STOP in any wording, never a word that merely contains it."""

import pytest

from runner.optout import is_stop


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop merci", "STOP SMS", "ARRET", "ARRÊT",
                                  "arrêt svp", "DESABONNER", "Désabonner", "STOPALL",
                                  "UNSUBSCRIBE", "stop.", "  Stop !", "Merci, stop", "STOP 36111"])
def test_stop_replies_in_any_wording_are_opt_outs(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["nonstop", "stopover", "Merci beaucoup", "OK", "Arrêtez de "
                                  "m'appeler le matin"[:6] + "ons", "", "top"])
def test_words_that_merely_contain_stop_are_not(text):
    assert not is_stop(text)
