#!/usr/bin/env python3
"""A transcript of the API through Debian's unmodified python3-libvirt
(domains.py, netstore.py): it runs on Debian's libvirt (the reference) and on
ours, and the two transcripts must be identical.  The transcript checks
/proc/self/maps to prove which libvirt.so.0 it loaded.

usage: run_transcript.py NAME STAGE_DIR [SECTION...]
       run_transcript.py NAME --self-check [SECTION...]
           runs the transcript twice on Debian's libvirt and compares the runs,
           which shows that everything the transcript prints is deterministic
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    name = args.pop(0)
    if args[0] == "--self-check":
        ours, label = difftest.SYSTEM_LIBDIR, "libvirt against itself"
    else:
        ours, label = os.path.join(os.path.abspath(args[0]), "lib"), "our library"
    cmd = ["/usr/bin/python3", os.path.join(HERE, name + ".py")] + args[1:]
    status, want = difftest.both("python " + name, cmd, ours)
    if status:
        return status
    print("run_%s: python3-libvirt on %s (verified in /proc/self/maps): %d lines identical to libvirt's"
          % (name, label, len(want[1].splitlines())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
