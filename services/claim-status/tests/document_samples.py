"""Files customers send, made here: photos with a location and a sideways orientation in their
EXIF (and XMP), a PDF, an executable renamed .jpg, the EICAR test file."""

from __future__ import annotations

import io

import pillow_heif
from PIL import ExifTags, Image

pillow_heif.register_heif_opener()

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="35,40.5N"/></rdf:RDF>'
    b"</x:xmpmeta>"
)
WIDE = (64, 32)
"""The photo as stored by the camera: wide, with Orientation 6 (shown turned a quarter,
tall)."""


def phone_exif(make: str = "TestCam") -> Image.Exif:
    """The EXIF a phone writes: its make, a sideways orientation and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (35.0, 40.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (139.0, 45.0, 0.0),
    }
    return exif


def photo_with_location(kind: str = "JPEG") -> bytes:
    picture = Image.new("RGB", WIDE, (200, 30, 30))
    out = io.BytesIO()
    if kind == "HEIF":
        picture.save(out, "HEIF", exif=phone_exif().tobytes(), xmp=XMP, quality=80)
    else:
        picture.save(out, kind, exif=phone_exif(), xmp=XMP)
    return out.getvalue()


def has_location(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        xmp = image.info.get("xmp") or b""
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or b"GPS" in (
            xmp if isinstance(xmp, bytes) else xmp.encode()
        )


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
"""The start of a Windows executable: what a virus 'photo.jpg' really is."""
