from tests.conftest import campaign_yaml


def test_fields_of_the_contacts_file_pass(diagnostics_of):
    text = campaign_yaml(**{"{first_name|Bonjour}": "{first_name|Bonjour} de {city}"})
    assert diagnostics_of(text, rule="field-ref") == []


def test_unknown_template_field_suggests_the_column(diagnostics_of):
    text = campaign_yaml(**{"{first_name|Bonjour}": "{firstname|Bonjour}"})
    [found] = diagnostics_of(text, rule="field-ref")
    assert (found.line, found.col) == (5, 17)
    assert found.message == "'firstname' is not a column of clients.csv; did you mean 'first_name'?"


def test_unknown_segment_field_is_reported_on_its_key(diagnostics_of):
    segment = "kind: segment\ncontacts: clients\nwhere:\n  all:\n    - ville: Nantes\n"
    [found] = diagnostics_of(files={"audiences/nantes.yaml": segment}, rule="field-ref")
    assert (found.path, found.line, found.col) == ("audiences/nantes.yaml", 5, 7)
    assert found.message.startswith("'ville' is not a column of clients.csv; its columns are:")


def test_renamed_column_is_a_field(diagnostics_of, project_dir):
    lst = project_dir / "audiences" / "clients.yaml"
    lst.write_text(lst.read_text() + "columns:\n  prenom: first_name\n")
    text = campaign_yaml(**{"{first_name|Bonjour}": "{prenom|Bonjour}"})
    assert diagnostics_of(text, rule="field-ref") == []


def test_declared_phone_column_must_exist(diagnostics_of, project_dir):
    lst = project_dir / "audiences" / "clients.yaml"
    lst.write_text(lst.read_text().replace("phone: phone", "phone: mobile"))
    [found] = diagnostics_of(rule="field-ref")
    assert (found.path, found.line) == ("audiences/clients.yaml", 6)
    assert found.message.startswith("'mobile' is not a column of clients.csv")
