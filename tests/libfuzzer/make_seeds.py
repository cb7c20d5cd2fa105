#!/usr/bin/env python3
"""Writes the seed corpus of the capture importers' libFuzzer targets
(tests/libfuzzer/corpus/<target>/): small, valid captures of every format
and link type the readers take, each holding a control transfer and a
Bulk-Only Transport conversation (CBW, data, CSW; a failed command and its
REQUEST SENSE), so the fuzzer starts from inputs that reach the URB pairing
and the SCSI decoding. Deterministic: running it again writes the same
bytes. The files are committed; this script is how they were made.

    python3 tests/libfuzzer/make_seeds.py tests/libfuzzer/corpus
"""
import os
import struct
import sys

# (kind, xfer, ep, setup or None, length, data, status); xfer: 0 iso 1 intr 2 ctrl 3 bulk
def conversation():
    ev = []
    setup = bytes([0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00])
    ev.append(("S", 2, 0x80, setup, 18, b"", -115))
    ev.append(("C", 2, 0x80, None, 18, bytes.fromhex("120100020000004081072655000101020301"), 0))

    def cmd(tag, cdb, dlen, din, data, csw_status, residue=0):
        cbw = struct.pack("<4sIIBBB", b"USBC", tag, dlen, 0x80 if din else 0, 0, len(cdb))
        cbw += cdb + bytes(16 - len(cdb))
        ev.append(("S", 3, 0x02, None, 31, cbw, -115))
        ev.append(("C", 3, 0x02, None, 31, b"", 0))
        if dlen:
            ep = 0x81 if din else 0x02
            ev.append(("S", 3, ep, None, dlen, b"" if din else data, -115))
            ev.append(("C", 3, ep, None, len(data), data if din else b"", 0))
        csw = struct.pack("<4sIIB", b"USBS", tag, residue, csw_status)
        ev.append(("S", 3, 0x81, None, 13, b"", -115))
        ev.append(("C", 3, 0x81, None, 13, csw, 0))

    cmd(1, bytes([0x25] + [0] * 9), 8, True, bytes.fromhex("0000ffff00000200"), 0)
    cmd(2, bytes([0x28, 0, 0, 0, 0, 8, 0, 0, 2, 0]), 1024, True, bytes(range(256)) * 4, 0)
    cmd(3, bytes([0x2a, 0, 0, 0, 0, 9, 0, 0, 1, 0]), 512, False, bytes(512), 0)
    cmd(4, bytes([0x00] * 6), 0, False, b"", 1)
    cmd(5, bytes([0x03, 0, 0, 0, 18, 0]), 18, True, bytes.fromhex("700005000000000a00000000240000000000"), 0)
    return ev


def usbmon_words(data):
    h = data.hex()
    return " ".join(h[i:i + 8] for i in range(0, len(h), 8))


def usbmon_text(fmt):
    lines = []
    t = 771359614
    for i, (kind, xfer, ep, setup, length, data, status) in enumerate(conversation()):
        tt = "ZICB"[xfer] + ("i" if ep & 0x80 else "o")
        addr = f"{tt}:1:004:{ep & 0x7f}" if fmt == "u" else f"{tt}:004:{ep & 0x7f:02d}"
        urb = f"ffff8ae1f0be{(i // 2) * 64:04x}"
        t += 37 + 11 * i
        if setup is not None:
            s = f"s {setup[0]:02x} {setup[1]:02x} {setup[3]:02x}{setup[2]:02x} " \
                f"{setup[5]:02x}{setup[4]:02x} {setup[7]:02x}{setup[6]:02x}"
            lines.append(f"{urb} {t} {kind} {addr} {s} {length} <")
            continue
        tail = f"= {usbmon_words(data[:32])}" if data else ("<" if ep & 0x80 else ">")
        lines.append(f"{urb} {t} {kind} {addr} {status} {length} {tail}")
    return ("\n".join(lines) + "\n").encode()


def usbmon_packet(lt, i, ev, t_ns, e):
    """The usbmon header is in the capturing host's byte order, the pcap file's."""
    kind, xfer, ep, setup, length, data, status = ev
    sec, usec = divmod(t_ns // 1000, 1000000)
    hdr = struct.pack(e + "QBBBBHbbqiiII", 0xffff8ae1f0be0000 + (i // 2) * 64, ord(kind), xfer, ep, 4, 1,
                      0 if setup else ord("-"), ord("=") if data else ord("<"), sec, usec, status,
                      length, len(data))
    hdr += setup if setup else bytes(8)
    if lt == 220:
        hdr += struct.pack(e + "iiII", 0, 0, 0, 0)
    return hdr + data


def usbpcap_packet(i, ev, t_ns):
    kind, xfer, ep, setup, length, data, status = ev
    info = 1 if kind == "C" else 0
    payload = data
    fields = struct.pack("<QIHBHHBB", 0xffffa000 + (i // 2) * 16, 0, 0x09 if xfer == 3 else 0x0b,
                         info, 1, 4, ep, xfer)
    if xfer == 2:
        stage = 0 if kind == "S" else 2
        if kind == "S":
            payload = setup
        hdr_len = 2 + len(fields) + 4 + 1
        return struct.pack("<H", hdr_len) + fields + struct.pack("<I", len(payload)) + bytes([stage]) + payload
    hdr_len = 2 + len(fields) + 4
    return struct.pack("<H", hdr_len) + fields + struct.pack("<I", len(payload)) + payload


def packets(lt, e="<"):
    out = []
    t = 1_700_000_000_123_456_000
    for i, ev in enumerate(conversation()):
        t += 41_000 + 977 * i
        out.append((t, usbpcap_packet(i, ev, t) if lt == 249 else usbmon_packet(lt, i, ev, t, e)))
    return out


def pcap(lt, big, nano):
    e = ">" if big else "<"
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    b = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, lt)
    for t, p in packets(lt, e):
        sec, sub = divmod(t, 1_000_000_000)
        b += struct.pack(e + "IIII", sec, sub if nano else sub // 1000, len(p), len(p)) + p
    return b


def block(e, btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def pcapng(sections):
    out = b""
    for big, lt, resol in sections:
        e = ">" if big else "<"
        out += block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
        opts = struct.pack(e + "HH", 9, 1) + bytes([resol]) + bytes(3) + struct.pack(e + "HH", 0, 0)
        out += block(e, 1, struct.pack(e + "HHI", lt, 0, 65535) + opts)
        unit = 10 ** (resol & 0x7f) if not resol & 0x80 else 2 ** (resol & 0x7f)
        for t, p in packets(lt, e):
            ts = t * unit // 1_000_000_000
            out += block(e, 6, struct.pack(e + "IIIII", 0, ts >> 32, ts & 0xffffffff, len(p), len(p)) + p)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    fixture = os.path.join(os.path.dirname(__file__), "..", "fixtures", "captures",
                           "usbmon-dlink-ax9u", "usbmon.txt")
    files = {
        "usbmon_text/u-format.txt": usbmon_text("u"),
        "usbmon_text/t-format.txt": usbmon_text("t"),
        "usbmon_text/dlink-ax9u.txt": open(fixture, "rb").read(),
        "pcap/le-us-220.pcap": pcap(220, False, False),
        "pcap/be-ns-189.pcap": pcap(189, True, True),
        "pcap/le-ns-249.pcap": pcap(249, False, True),
        "pcapng/le-220-be-249.pcapng": pcapng([(False, 220, 9), (True, 249, 6)]),
        "pcapng/le-189-pow2.pcapng": pcapng([(False, 189, 0x94)]),
    }
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
