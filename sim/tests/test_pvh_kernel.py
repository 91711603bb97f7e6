"""sim/guest/pvh-kernel.py: the guest's kernel as a PVH ELF (no VM needed).

Checks, on the newest installed Debian kernel (linux-image-amd64, a build
input of the guest), that the ELF written is loadable as it was: the same
segments at the same addresses, each one's file part a prefix of the
original with only zeros cut, and the PVH entry note kept; and that a
kernel without a PVH note, or a file without a kernel, is refused with a
message naming the file.
"""
import glob
import os
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "sim", "guest", "pvh-kernel.py")
sys.path.insert(0, os.path.join(ROOT, "sim", "guest"))
KERNELS = sorted(glob.glob("/boot/vmlinuz-*"))


def segments(elf):
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    return [struct.unpack_from("<IIQQQQQQ", elf, phoff + i * phentsize) for i in range(phnum)]


def run(*arguments):
    return subprocess.run([sys.executable, SCRIPT] + list(arguments), capture_output=True,
                          text=True, timeout=120)


@pytest.mark.skipif(not KERNELS, reason="no /boot/vmlinuz-* (linux-image-amd64)")
def test_elf_keeps_every_segment_and_cuts_only_zeros(tmp_path):
    out = tmp_path / "vmlinux"
    completed = run(KERNELS[-1], str(out))
    assert completed.returncode == 0, completed.stderr
    written = out.read_bytes()
    pvh = __import__("importlib").import_module("pvh-kernel")
    with open(KERNELS[-1], "rb") as file:
        original = pvh.payload(file.read())
    assert written[:16] == original[:16]
    before, after = segments(original), segments(written)
    assert len(before) == len(after)
    cut = 0
    for old, new in zip(before, after):
        # type, flags, offset, vaddr, paddr unchanged; memsz unchanged
        assert old[:5] == new[:5] and old[6:] == new[6:]
        p_type, offset, old_size, new_size = old[0], old[2], old[5], new[5]
        assert new_size <= old_size
        if p_type == 1:
            assert written[offset:offset + new_size] == original[offset:offset + new_size]
            assert set(original[offset + new_size:offset + old_size]) <= {0}
            cut += old_size - new_size
    assert cut > 1 << 20  # Debian's kernel: .bss, .brk and .init.scratch
    elf = bytearray(written)
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    assert pvh.pvh_note(elf, phoff, phnum, phentsize)


def test_refuses_a_file_without_a_kernel(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a kernel" * 100)
    completed = run(str(junk), str(tmp_path / "out"))
    assert completed.returncode == 1
    assert str(junk) in completed.stderr and "no XZ or gzip payload" in completed.stderr
    assert not (tmp_path / "out").exists()


def test_refuses_an_elf_without_pvh_note(tmp_path):
    """A gzip payload that is an ELF without notes (this Python's own
    interpreter, compressed): refused, so the guest boots the bzImage."""
    import gzip
    with open(os.path.realpath(sys.executable), "rb") as file:
        elf = file.read()
    image = tmp_path / "fake-bzimage"
    image.write_bytes(b"\0" * 512 + gzip.compress(elf))
    completed = run(str(image), str(tmp_path / "out"))
    assert completed.returncode == 1
    assert "no PVH entry note" in completed.stderr
