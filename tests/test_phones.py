"""runner/phones.py, tested only with ARCEP's fiction block and phonenumbers' example numbers."""

import hashlib
import hmac

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from runner.phones import (
    FICTIONAL_RANGE,
    HASH_KEY_ENV,
    InvalidPhone,
    MissingHashKey,
    Phone,
    hash_key,
    mask,
    mask_numbers,
    parse_phone,
    phone_hash,
)
from runner.window import REGION_ZONES

FICTIONAL = "+33639980001"
WRITTEN_FORMS = ["06 39 98 00 01", "06.39.98.00.01", "+33 (0)6 39 98 00 01", "0033639980001",
                 "639980001", " 06-39-98-00-01 "]
OVERSEAS = ["RE", "YT", "GP", "MQ", "GF", "PM", "NC", "PF", "WF"]
TRUNK_ZERO = ["RE", "YT", "GP", "MQ", "GF", "PM"]  # national form 0…, retried after FR


def example(region, fmt=PhoneNumberFormat.E164):
    number = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, fmt)


def reason_of(raw, **kwargs):
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(raw, **kwargs)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize("raw", WRITTEN_FORMS)
def test_fictional_block_is_accepted_with_allow_fictional(raw):
    assert parse_phone(raw, allow_fictional=True) == Phone(
        FICTIONAL, "FR", ("Europe/Paris",), fictional=True)


@pytest.mark.parametrize("raw", WRITTEN_FORMS)
def test_fictional_block_is_refused_without_it(raw):
    assert reason_of(raw) == (
        "ARCEP fictional number: only allowed with the simulator or allow_fictional_numbers")


def test_fictional_range_bounds():
    assert FICTIONAL_RANGE[0] == 33639980000 and FICTIONAL_RANGE[-1] == 33639989999
    assert parse_phone("06 39 98 00 00", allow_fictional=True).fictional
    assert parse_phone("06 39 98 99 99", allow_fictional=True).fictional


def test_metropolitan_example_mobile_in_every_form():
    national = example("FR", PhoneNumberFormat.NATIONAL)  # 06 12 34 56 78
    digits = national.replace(" ", "")
    for raw in (national, digits[1:], "33" + digits[1:], example("FR")):
        assert parse_phone(raw) == Phone(example("FR"), "FR", ("Europe/Paris",), False)


@pytest.mark.parametrize("region", OVERSEAS)
def test_overseas_example_mobiles_get_their_region_and_zones(region):
    phone = parse_phone(example(region, PhoneNumberFormat.INTERNATIONAL))
    assert phone == Phone(example(region), region, REGION_ZONES[region], fictional=False)


@pytest.mark.parametrize("region", TRUNK_ZERO)
def test_national_overseas_numbers_are_retried_after_france(region):
    phone = parse_phone(example(region, PhoneNumberFormat.NATIONAL), "FR")
    assert (phone.e164, phone.region) == (example(region), region)


def test_reunion_national_number_with_fr_is_reunion():
    assert parse_phone("0692 12 34 56", "FR") == Phone(
        "+262692123456", "RE", ("Indian/Reunion",), False)


def test_polynesia_has_three_zones():
    assert parse_phone(example("PF")).zones == (
        "Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier")


def test_overseas_mobile_written_with_plus_33_gets_a_hint():
    assert reason_of("+33 6 92 12 34 56") == (
        "Réunion mobiles are +262 692…; the number was written with +33")


@pytest.mark.parametrize("raw,reason", [
    ("01 99 00 12 34", "not a mobile number (landline)"),
    ("6,39980001E+08",
     "Excel scientific notation '6,39980001E+08'; format the column as text and export again"),
    ("6.39980001E8",
     "Excel scientific notation '6.39980001E8'; format the column as text and export again"),
    ("33639980001.0", "Excel number '33639980001.0'; format the column as text and export again"),
    ("06 39 98 OO 01", "letters in the number"),
    ("tel 0639980001", "letters in the number"),
    ("", "empty"),
    ("   ", "empty"),
    ("12", "not a valid phone number; check the digits and the list's region"),
])
def test_invalid_inputs_are_refused_with_a_reason(raw, reason):
    assert reason_of(raw, allow_fictional=True) == reason


def test_a_number_outside_the_french_territories_is_refused():
    assert reason_of(example("BE")) == "numbers from BE are not supported; French territories only"


def test_invalid_phone_is_a_value_error():
    assert issubclass(InvalidPhone, ValueError) and issubclass(MissingHashKey, ValueError)


@pytest.mark.parametrize("e164,masked", [
    ("+33639981234", "+33 6 39 98 ** 34"),
    ("+262692123456", "+262 692 12 ** 56"),
    ("+590690001234", "+590 690 00 ** 34"),
    ("+68987123456", "+689 87 12 ** 56"),
])
def test_mask_stars_the_second_to_last_group(e164, masked):
    assert mask(e164) == masked


def test_mask_refuses_a_non_e164_string():
    with pytest.raises(ValueError):
        mask("not a number")


def test_phone_hash_is_hmac_sha256_of_the_e164_number():
    expected = hmac.new(b"k\xc3\xa9y", FICTIONAL.encode(), hashlib.sha256).hexdigest()
    assert phone_hash(FICTIONAL, "kéy") == expected
    assert len(expected) == 64 and expected == expected.lower()
    assert phone_hash(FICTIONAL, "other") != expected


def test_hash_key_comes_from_the_environment():
    assert HASH_KEY_ENV == "SMSOPS_HASH_KEY"
    assert hash_key({HASH_KEY_ENV: "secret"}) == "secret"


@pytest.mark.parametrize("env", [{}, {HASH_KEY_ENV: ""}])
def test_missing_hash_key_names_the_variable_and_how_to_set_it(env):
    with pytest.raises(MissingHashKey, match=r"SMSOPS_HASH_KEY is not set; export SMSOPS_HASH"):
        hash_key(env)


def _outcome(raw, allow):
    try:
        return parse_phone(raw, allow_fictional=allow)
    except InvalidPhone as err:
        return str(err)


@pytest.mark.parametrize("allow", [True, False])
def test_fast_path_agrees_with_the_full_parse(allow, monkeypatch):
    import random

    import runner.phones as phones

    rng = random.Random(7)
    shapes = ["0{} {} {} {} {}", "+33 {} {} {} {} {}", "0033{}{}{}{}{}", "33{}{}{}{}{}",
              "{}{}{}{}{}", "0{}.{}.{}.{}.{}", "+33 (0){} {} {} {} {}"]
    samples = []
    for _ in range(3000):
        first = rng.choice(["6", "7", "639", "6398", "69", "63", "70", "73", "79"])
        digits = first + "".join(rng.choice("0123456789") for _ in range(9 - len(first)))
        pairs = [digits[0], digits[1:3], digits[3:5], digits[5:7], digits[7:9]]
        samples.append(rng.choice(shapes).format(*pairs))
    fast = [_outcome(raw, allow) for raw in samples]
    monkeypatch.setattr(phones, "_metropolitan", lambda raw, allow: None)
    assert fast == [_outcome(raw, allow) for raw in samples]


@pytest.mark.parametrize("written", [
    "+33639980001", "0033639980001", "33639980001", "0639980001", "06 39 98 00 01",
    "06.39.98.00.01", "06-39-98-00-01", "+33 6 39 98 00 01", "+33 (0)6 39 98 00 01",
    "%2B33639980001", "%2b33639980001", "06+39+98+00+01", "06%2039%2098%2000%2001",
])
def test_mask_numbers_stars_a_number_in_every_written_form(written):
    for text in (written, f"To={written}&From=MABOUTIQUE", f"Invalid 'To' Phone Number: {written}",
                 f'{{"to": "{written}"}}', f"Body=STOP+{written}+merci"):
        masked = mask_numbers(text)
        assert "639980" not in masked and "39 98" not in masked and "39+98" not in masked, masked
        assert "01" in masked


@pytest.mark.parametrize("written", ["+262 692 12 34 56", "+262692123456", "00262692123456",
                                     "0692 12 34 56", "0692123456", "262692123456"])
def test_mask_numbers_stars_overseas_numbers(written):
    masked = mask_numbers(f"from {written}.")
    assert "692 12" not in masked and "69212" not in masked and masked.endswith("56."), masked


def test_mask_numbers_finds_a_number_followed_by_other_digits():
    masked = mask_numbers("Invalid 'To' Phone Number: +33639980001 21211 at 2027 01 07")
    assert masked == "Invalid 'To' Phone Number: *********01 21211 at 2027 01 07"


def test_mask_numbers_stars_two_numbers_in_one_run():
    assert mask_numbers("06 39 98 00 01 06 39 98 00 02") == "********01 ********02"


@pytest.mark.parametrize("kept", ["ts=1799312410", "id:1 sub:001 dlvrd:001", "SM1a2b3c4d5e6f",
                                  "2027-01-07T10:00:05+01:00", "cost 0.045 EUR", "21211"])
def test_mask_numbers_keeps_timestamps_codes_and_ids(kept):
    assert mask_numbers(kept) == kept


@pytest.mark.parametrize("encoded", ["text%3D0639980001", "%30%36%33%39%39%38%30%30%30%31",
                                     "Body=STOP%2006%2039%2098%2000%2001"])
def test_mask_numbers_reads_through_percent_escapes(encoded):
    from urllib.parse import unquote
    assert "639980" not in unquote(mask_numbers(encoded)).replace(" ", "")
