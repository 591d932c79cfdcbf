from tests.conftest import campaign_yaml


def test_existing_segment_passes(diagnostics_of):
    assert diagnostics_of(campaign_yaml(), rule="segment-ref") == []


def test_unknown_segment_suggests_the_nearest(diagnostics_of):
    text = campaign_yaml(**{"segment: clients-actifs": "segment: client-actif"})
    [found] = diagnostics_of(text, rule="segment-ref")
    assert (found.line, found.col) == (3, 10)
    assert found.message == "no segment 'client-actif' in audiences/; did you mean 'clients-actifs'?"


def test_segment_naming_an_unknown_list_is_an_error(diagnostics_of):
    found = diagnostics_of(files={"audiences/vip.yaml": "kind: segment\ncontacts: clients-vip\n"},
                           rule="segment-ref")
    assert [(d.path, d.line, d.message) for d in found] == [
        ("audiences/vip.yaml", 2,
         "no contacts list 'clients-vip' in audiences/; did you mean 'clients'?")]


def test_missing_contacts_file_is_an_error_on_the_file_key(diagnostics_of, project_dir):
    (project_dir / "audiences" / "clients.csv").unlink()
    [found] = diagnostics_of(rule="segment-ref")
    assert (found.path, found.line) == ("audiences/clients.yaml", 5)
    assert "clients.csv does not exist" in found.message
