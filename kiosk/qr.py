"""QR codes as SVG, made on the server with the qrcode library."""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.image.svg


@lru_cache(maxsize=32)
def qr_svg(url: str) -> str:
    """An SVG QR code for a URL: black on white, with a quiet zone, scalable to any size."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")
