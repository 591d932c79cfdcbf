"""STOP in any wording, never a word that merely contains it (the rule of docs/cli.md)."""

import pytest

from runner.optout import is_stop

OPT_OUTS = [
    "STOP", "stop", "Stop merci", "STOP SMS", "stop.", "Stop!!", "  Stop !", "Merci, stop",
    "STOP 36111", "STOP36111", "STOPALL", "STOPSMS", "ARRET", "ARRÊT", "arrêt svp", "Arrête",
    "ARRETE", "arrête de m'envoyer des sms", "Arrêtez de m'appeler le matin", "DESABONNER",
    "Désabonner", "Désabonnez-moi", "désinscrivez-moi", "Je veux me désinscrire",
    "désinscription", "UNSUBSCRIBE", "Stopper les SMS", "Merci de stopper",
]
NOT_OPT_OUTS = [
    "nonstop", "stopover", "Ouvert non-stop ?", "Merci beaucoup", "OK", "", "top", "Cancel",
    "quit", "The END", "Vous êtes ouverts sans arrêt ?", "C'est où l'arrêt de bus ?",
    "Super, j'arrive samedi", "Arrêtons-nous là",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_stop_replies_in_any_wording_are_opt_outs(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_words_that_merely_contain_stop_or_use_arret_in_passing_are_not(text):
    assert not is_stop(text)
