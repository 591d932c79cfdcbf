LIST = "kind: contacts\nfile: clients.csv\n"


def test_example_lists_declare_consent(diagnostics_of):
    assert diagnostics_of(rule="consent") == []


def test_list_without_consent_is_an_error(diagnostics_of):
    [found] = diagnostics_of(files={"audiences/other.yaml": LIST}, rule="consent")
    assert (found.path, found.line, found.severity) == ("audiences/other.yaml", 1, "error")
    assert "add `consent: <column>`" in found.message


def test_list_wide_basis_with_source_passes(diagnostics_of):
    text = LIST + "consent_basis: opt_in\nconsent_source: store:Nantes-paper-form-v3\n"
    assert diagnostics_of(files={"audiences/other.yaml": text}, rule="consent") == []


def test_list_wide_basis_without_source_is_an_error(diagnostics_of):
    text = LIST + "consent_basis: opt_in\n"
    [found] = diagnostics_of(files={"audiences/other.yaml": text}, rule="consent")
    assert (found.line, found.col) == (3, 1)


def test_unknown_basis_is_a_schema_error(diagnostics_of):
    text = LIST + "consent_basis: legitimate_interest\nconsent_source: x\n"
    [found] = diagnostics_of(files={"audiences/other.yaml": text}, rule="schema")
    assert found.message.startswith('consent_basis is "legitimate_interest"; use one of: opt_in')
