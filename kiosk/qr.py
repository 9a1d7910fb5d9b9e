"""QR codes as SVG, made on the server with the qrcode library."""

from __future__ import annotations

import base64
from functools import lru_cache

import qrcode
import qrcode.image.svg


@lru_cache(maxsize=32)
def qr_svg(url: str) -> str:
    """An SVG QR code for a URL: black on white, with a quiet zone, scalable to any size."""
    return _svg(url)


def secret_qr_data_uri(text: str) -> str:
    """A QR code holding a secret (a second factor's set-up address), as a data: address: made
    each time, never kept in the cache."""
    return "data:image/svg+xml;base64," + base64.b64encode(_svg(text).encode()).decode()


def _svg(url: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


def qr_data_uri(url: str) -> str:
    """The QR code as a data: address, for a page that must print with every code in it."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode()
