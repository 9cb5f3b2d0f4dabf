"""The loaded-library proof the python transcripts share: with
EXPECT_LIBVIRT_DIR set, exit unless the libvirt.so.0 that python3-libvirt
mapped (per /proc/self/maps) lies in that directory."""
import os
import sys


def loaded_from():
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if "/" in line else ""
            if os.path.basename(path).startswith("libvirt.so"):
                return path
    return None


def check():
    want = os.environ.get("EXPECT_LIBVIRT_DIR")
    path = loaded_from()
    if want and not (path and path.startswith(want)):
        sys.exit("wrong libvirt mapped: %r, expected one in %s" % (path, want))
