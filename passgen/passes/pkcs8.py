"""Encrypted PKCS#8 PEM with a key-derivation cost of passgen's choosing.

``cryptography`` writes encrypted PKCS#8 with PBKDF2 at 2,048 rounds (about 1,000 guesses a
second a core) and lets nobody choose more, so the fixed structure of RFC 5958 / RFC 8018
PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) is written here, in DER; ``cryptography`` and
OpenSSL read it back as any encrypted PKCS#8 key.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else (lambda b: bytes([0x80 | len(b)]) + b)(
        n.to_bytes((n.bit_length() + 7) // 8, "big"))
    return bytes([tag]) + length + body


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(p) for p in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(chunk))
    return _der(0x06, bytes(body))


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def encrypted(private_key: Ed25519PrivateKey, passphrase: bytes, iterations: int) -> bytes:
    """The key as encrypted PKCS#8 PEM (RFC 5958, PBES2 of RFC 8018): PBKDF2-HMAC-SHA256
    with ``iterations`` rounds and AES-256-CBC.  ``cryptography`` writes PKCS#8 with only
    2,048 rounds (about 1,000 guesses a second a core) and lets nobody choose more, so the
    fixed structure is written here; ``cryptography`` and OpenSSL read it back."""
    plain = private_key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    salt, iv = os.urandom(16), os.urandom(16)
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    kdf = _seq(_oid("1.2.840.113549.1.5.12"),  # PBKDF2
               _seq(_der(0x04, salt), _der(0x02, iterations.to_bytes(iterations.bit_length() // 8 + 1, "big")),
                    _seq(_oid("1.2.840.113549.2.9"), b"\x05\x00")))  # hmacWithSHA256, NULL
    scheme = _seq(_oid("2.16.840.1.101.3.4.1.42"), _der(0x04, iv))  # aes256-CBC
    der = _seq(_seq(_oid("1.2.840.113549.1.5.13"), _seq(kdf, scheme)), _der(0x04, sealed))
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END ENCRYPTED PRIVATE KEY-----\n").encode("ascii")
