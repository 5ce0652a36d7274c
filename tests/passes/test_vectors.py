"""Every PG1 test vector: verdict, per-stage facts, recomputed stages, independent COSE."""

import base64
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
import zxingcpp
from helpers import REPO, TESTS
from PIL import Image
from vectors import make_vectors

from passgen.check.verify import verify
from passgen.models import Category, Claims, Colour
from passgen.passes import keys, pg1

FOLDER = TESTS / "vectors"
FILES = sorted(FOLDER.glob("*.json"))
NAMES = [f.stem for f in FILES]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def trust_of(vec: dict[str, Any]) -> keys.TrustList:
    return keys.TrustList(tuple(keys.TrustEntry.from_json(e, "vector") for e in
                                vec["trust"]["keys"]))


def claims_of(obj: dict[str, Any]) -> Claims:
    return Claims(obj["1_issuer"], obj["4_expires"], obj["6_issued_at"],
                  bytes.fromhex(obj["7_serial"]), obj["-1_name"], obj["-2_masked_id"],
                  Colour(obj["-3_colour"]), Category(obj["-4_category"]),
                  bytes.fromhex(obj["-5_rules_version"]))


def test_there_are_vectors_of_every_kind() -> None:
    statuses = {load(f)["expected"]["status"] for f in FILES}
    assert statuses == {"valid", "expired", "not-yet-valid", "unknown-key", "bad-signature",
                        "malformed"}
    assert len(FILES) >= 30


def stages_seen(text: str, result: Any) -> dict[str, bool]:
    """What an independent reading of the text establishes at each stage."""
    seen = {"prefix": text.startswith(pg1.PREFIX)}
    try:
        cose = pg1.unbase45(text)
        seen["base45"] = True
    except pg1.FormatProblem:
        cose, seen["base45"] = None, False
    try:
        seen["cbor"] = cose is not None and pg1.loads_exact(cose) is not None
    except pg1.FormatProblem:
        seen["cbor"] = False
    seen.update(cose=result.structure_ok, key=result.key_known,
                signature=result.signature_valid, claims=result.claims is not None,
                key_window=result.within_key_window, validity=result.within_validity)
    return seen


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_vector_verdict_and_stages(path: Path) -> None:
    vec = load(path)
    result = verify(vec["text"], trust_of(vec), dt.datetime.fromisoformat(vec["at"]))
    assert result.status == vec["expected"]["status"], result.reason
    assert stages_seen(vec["text"], result) == vec["expected"]["stages"]
    assert result.decoded == all(vec["expected"]["stages"][s] for s in ("prefix", "base45",
                                                                         "cbor"))


@pytest.mark.parametrize("path", [f for f in FILES if "claims" in load(f)],
                         ids=[f.stem for f in FILES if "claims" in load(f)])
def test_vector_stages_recompute(path: Path) -> None:
    vec = load(path)
    claims = claims_of(vec["claims"])
    assert pg1.encode_claims(claims).hex() == vec["cbor_hex"]
    cose = bytes.fromhex(vec["cose_hex"])
    assert cbor2.loads(cose).value[2].hex() == vec["cbor_hex"]
    assert vec["text"] == pg1.PREFIX + base45.b45encode(cose).decode()
    image = Image.open(io.BytesIO(base64.b64decode(vec["qr_png_base64"])))
    [decoded] = zxingcpp.read_barcodes(image.convert("L"))
    assert decoded.text == vec["text"]
    result = verify(vec["text"], trust_of(vec), dt.datetime.fromisoformat(vec["at"]))
    if result.claims is not None:
        assert result.claims == claims


@pytest.mark.parametrize("path", [f for f in FILES if load(f)["expected"]["status"] == "valid"],
                         ids=[f.stem for f in FILES if load(f)["expected"]["status"] == "valid"])
def test_valid_vectors_verify_with_pycose(path: Path) -> None:
    from pycose.keys.curves import Ed25519
    from pycose.keys.keyparam import KpKty, OKPKpCurve, OKPKpX
    from pycose.keys.keytype import KtyOKP
    from pycose.keys.okp import OKPKey
    from pycose.messages import Sign1Message

    vec = load(path)
    protected, unprotected, payload, signature = cbor2.loads(bytes.fromhex(vec["cose_hex"])).value
    msg = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    kid = cbor2.loads(protected)[4]
    entry = trust_of(vec).find(kid)
    assert entry is not None
    msg.key = OKPKey.from_dict({KpKty: KtyOKP, OKPKpCurve: Ed25519, OKPKpX: entry.public_key})
    assert msg.verify_signature()


def test_vector_files_are_exactly_what_the_generator_makes() -> None:
    """A vector changed by hand fails here (the QR PNG is compared by decoding, above)."""
    built = make_vectors.build()
    assert len(built) == len(FILES)
    for path, vec in zip(FILES, built, strict=True):
        on_disk = load(path)
        on_disk.pop("qr_png_base64", None)
        vec = dict(vec)
        vec.pop("qr_png_base64", None)
        assert on_disk == vec, path.name


def test_format_document_example_is_current() -> None:
    from importlib import resources  # noqa: F401  (docs live in the source tree)

    doc = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    start = doc.index("<!-- example:start")
    end = doc.index("<!-- example:end -->") + len("<!-- example:end -->")
    assert doc[start:end] == make_vectors.example_markdown()


def test_libsodium_and_openssl_agree_on_every_vector_signature() -> None:
    """passgen verifies with libsodium; OpenSSL (via cryptography) must reach the same verdict
    on every vector whose structure and key are sound, good signatures and bad alike."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    checked = {True: 0, False: 0}
    for path in FILES:
        vec = load(path)
        try:
            unpacked = pg1.unpack(vec["text"])
        except pg1.FormatProblem:
            continue
        entry = trust_of(vec).find(unpacked.kid)
        if entry is None:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(entry.public_key).verify(
                unpacked.signature, unpacked.signed_bytes)
            openssl = True
        except InvalidSignature:
            openssl = False
        assert entry.signature_ok(unpacked.signature, unpacked.signed_bytes) is openssl, path
        checked[openssl] += 1
    assert checked[True] >= 5 and checked[False] >= 2, checked
