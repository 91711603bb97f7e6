"""sim/guest/pvh-kernel.py BZIMAGE OUT - the guest's kernel as an ELF that
QEMU starts directly through its PVH entry point (no decompression in the
guest).

Why: Debian's bzImage is XZ-compressed, and under TCG the guest spends
seconds decompressing it before the kernel's first line (measured here: the
first kernel line 5.8 s after QEMU started with the bzImage, 2.0 s with this
ELF, same load; sim/guest/bench_vm.py prints the stages). The kernel has
CONFIG_PVH=y, so the ELF inside the bzImage carries a PVH entry note that
QEMU's -kernel understands.

What it does: finds the compressed payload of the bzImage (XZ or gzip),
decompresses it with Python's own modules, checks that the result is an
x86-64 ELF with a PVH note (XEN_ELFNOTE_PHYS32_ENTRY), and shortens each
loadable segment's file size by its trailing zero bytes (the .bss, .brk and
.init.scratch areas, about 21 MiB here): the loader fills them with zeros
anyway, and QEMU then neither reads nor keeps them (its copy of the image
counts in its RSS). Exit 1 with a message when the kernel has no PVH entry;
the guest then boots the bzImage (sim/backend/vm.c).
"""
import gzip
import lzma
import struct
import sys

XEN_ELFNOTE_PHYS32_ENTRY = 18


def payload(image):
    """The decompressed kernel inside a bzImage."""
    for magic, open_stream in ((b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08\x00", "gzip")):
        start = image.find(magic)
        if start < 0:
            continue
        if open_stream == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(image[start:])
        return gzip.GzipFile(fileobj=__import__("io").BytesIO(image[start:])).read()
    raise ValueError("no XZ or gzip payload found")


def pvh_note(elf, phoff, phnum, phentsize):
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        at, end = p_offset, p_offset + p_filesz
        while at + 12 <= end:
            namesz, descsz, kind = struct.unpack_from("<III", elf, at)
            name = elf[at + 12:at + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and kind == XEN_ELFNOTE_PHYS32_ENTRY:
                return True
            at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pvh-kernel.py BZIMAGE OUT")
    source, out = sys.argv[1], sys.argv[2]
    with open(source, "rb") as f:
        image = f.read()
    try:
        elf = bytearray(payload(image))
    except (ValueError, lzma.LZMAError, OSError) as error:
        sys.exit(f"pvh-kernel: {source}: {error}")
    if elf[:5] != b"\x7fELF\x02":
        sys.exit(f"pvh-kernel: {source}: the payload is not a 64-bit ELF")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    if not pvh_note(elf, phoff, phnum, phentsize):
        sys.exit(f"pvh-kernel: {source}: no PVH entry note (kernel built without CONFIG_PVH)")
    trimmed = 0
    for i in range(phnum):
        at = phoff + i * phentsize
        p_type, _, p_offset, _, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", elf, at)
        if p_type != 1 or p_filesz == 0:  # PT_LOAD
            continue
        data = bytes(elf[p_offset:p_offset + p_filesz])
        kept = len(data.rstrip(b"\0"))
        struct.pack_into("<Q", elf, at + 32, kept)
        trimmed += p_filesz - kept
    with open(out, "wb") as f:
        f.write(elf)
    print(f"pvh-kernel: {out}: {len(elf) >> 20} MiB ELF, {trimmed >> 20} MiB of zeros "
          f"left to the loader")


if __name__ == "__main__":
    main()
