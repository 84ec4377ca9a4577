"""Makes a "scanned" copy of a PDF page: the page rendered to a grayscale bitmap by poppler's
pdftoppm (Debian's poppler-utils) and wrapped, as the only content, into a one-page PDF with no
text layer at all, the way a scanner or a phone app would produce it. Standard library only
besides pdftoppm.

    /usr/bin/python3 tests/api/scanned_pdf.py in.pdf out.pdf [page] [dpi]
"""
import os
import subprocess
import sys
import tempfile
import zlib


def _read_pgm(path):
    with open(path, "rb") as f:
        data = f.read()
    # P5 <w> <h> <maxval> then one byte per pixel (comments are not written by pdftoppm).
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    if fields[0] != b"P5" or int(fields[3]) != 255:
        raise ValueError("unexpected PGM from pdftoppm")
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos:pos + w * h]


def image_pdf(w, h, pixels, dpi):
    """A one-page PDF showing a w x h 8-bit gray image at dpi, and nothing else."""
    pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
    content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (pw, ph)
    img = zlib.compress(pixels, 6)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>" % (pw, ph),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(img))
        + img + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def scanned_copy(src, page=1, dpi=200):
    """The bytes of an image-only PDF of page `page` of the PDF file src."""
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "page")
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", src, base], check=True)
        w, h, pixels = _read_pgm(base + ".pgm")
    return image_pdf(w, h, pixels, dpi)


if __name__ == "__main__":
    page = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    dpi = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    with open(sys.argv[2], "wb") as f:
        f.write(scanned_copy(sys.argv[1], page, dpi))
