#!/usr/bin/env python3
"""Writes MATRIX.md: every public libvirt 9.0.0 symbol, which known binary
clients import it, and whether we implement it, per driver.

- clients: `nm -D --undefined-only` of python3-libvirt's extension module and
  of Perl's Sys::Virt (libsys-virt-perl), when installed;
- implemented: an export written by hand in src/ffi/*.rs (the rest are the
  generated NO_SUPPORT stubs in src/ffi/stubs/);
- per driver: an export that calls driver methods (`.driver().method(`) works
  on a driver when that driver's `impl Driver` overrides every one of them;
  an export that calls none works everywhere ("lib").

usage: gen-matrix.py [--check]   (--check: fail if MATRIX.md is stale)
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def symbols():
    nodes = {}
    node = None
    for line in open(os.path.join(ROOT, "libvirt.map")):
        m = re.match(r"^(LIBVIRT_[\d.]+) \{", line)
        if m:
            node = m.group(1)
            continue
        m = re.match(r"^\s+(vir\w+);", line)
        if m:
            nodes[m.group(1)] = node
    return nodes


def client_imports():
    clients = []
    for label, pattern in (("python", "/usr/lib/python3/dist-packages/libvirtmod.cpython*.so"),
                           ("perl", "/usr/lib/x86_64-linux-gnu/perl5/*/auto/Sys/Virt/Virt.so")):
        paths = glob.glob(pattern)
        if not paths:
            continue
        out = subprocess.run(["nm", "-D", "--undefined-only", paths[0]], capture_output=True, text=True).stdout
        clients.append((label, {l.split()[-1].split("@")[0] for l in out.splitlines() if l.strip()}))
    return clients


def trait_methods():
    """The methods of the Driver trait a driver must override to serve them
    (their default fails with NO_SUPPORT; the others have working defaults)."""
    text = open(os.path.join(ROOT, "src", "driver.rs")).read()
    body = text[text.index("pub trait Driver"):]
    found = set()
    for m in re.finditer(r"\bfn (\w+)\(", body):
        end = body.find("\n    }\n", m.start())
        if "unsupported(" in body[m.start():end]:
            found.add(m.group(1))
    return found


def exports():
    """name -> set of driver methods it calls (itself or through the
    file's helper functions), for the hand-written exports."""
    methods = trait_methods()
    result = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "ffi", "*.rs"))):
        text = open(path).read()
        # Every function of the file, from its name to the end of its body.
        bodies = {}
        for m in re.finditer(r"^(?:pub(?:\(\w+\))? )?(?:unsafe )?(?:extern \"C\" )?fn (\w+)", text, re.M):
            end = text.find("\n}\n", m.start())
            bodies[m.group(1)] = text[m.start():end if end >= 0 else len(text)]

        def calls(name, seen):
            body = bodies.get(name, "")
            found = {c for c in re.findall(r"\.(\w+)\(", body) if c in methods}
            # Free functions only: `s.attach(` is a method, not the file's `attach`.
            for helper in re.findall(r"(?<![.\w])(\w+)\(", body):
                if helper in bodies and helper not in seen and not helper.startswith("vir"):
                    seen.add(helper)
                    found |= calls(helper, seen)
            return found
        for m in re.finditer(r"pub static mut (vir\w+)", text):
            result[m.group(1)] = set()
        for name in bodies:
            if not name.startswith("vir") or not re.search(r"extern \"C\" fn " + name + r"\b", text):
                continue
            if "unsupported(" in bodies[name]:
                continue  # written by hand only to fail the way libvirt does
            result[name] = calls(name, {name})
    return result


def drivers():
    """driver name -> set of Driver methods it overrides."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "drivers", "*", "*.rs"))):
        text = open(path).read()
        for m in re.finditer(r"impl Driver for (\w+) \{", text):
            depth, i = 1, m.end()
            while depth and i < len(text):
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            name = os.path.basename(os.path.dirname(path))
            found.setdefault(name, set()).update(re.findall(r"\bfn (\w+)\(", text[m.end():i]))
    return found


def render():
    syms = symbols()
    clients = client_imports()
    impl = exports()
    drv = drivers()
    head = ["symbol", "since"] + [c for c, _ in clients] + ["ours"] + sorted(drv)
    rows = []
    counts = {d: 0 for d in drv}
    for name in sorted(syms):
        row = [name, syms[name][len("LIBVIRT_"):]]
        row += ["x" if name in used else "" for _, used in clients]
        if name in impl:
            calls = impl[name]
            row.append("yes" if calls else "lib")
            for d in sorted(drv):
                ok = calls <= drv[d]
                counts[d] += ok
                row.append("yes" if ok else "-")
        else:
            row.append("-")
            row += ["-" for _ in drv]
        rows.append(row)
    implemented = sum(1 for n in syms if n in impl)
    lines = ["# API matrix", "",
             "Generated by `tools/gen-matrix.py`; CI fails when it is stale. Every public symbol of",
             "libvirt 9.0.0, the version node it is exported under, which binary clients import it",
             "(`x`), and whether we implement it: `lib` works without a driver, `yes` dispatches to",
             "drivers (then per driver: `yes` if that driver serves every method it needs), `-` fails",
             "with libvirt's `VIR_ERR_NO_SUPPORT` error.", "",
             "Implemented: %d of %d symbols; %s." % (implemented, len(syms),
                                                      ", ".join("%s driver %d" % (d, counts[d]) for d in sorted(drv))),
             ""]
    for label, used in clients:
        n = sum(1 for s in syms if s in used)
        m = sum(1 for s in syms if s in used and s in impl)
        lines.append("- %s imports %d symbols; %d of them are implemented." % (label, n, m))
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    text = render()
    path = os.path.join(ROOT, "MATRIX.md")
    if "--check" in sys.argv:
        if not os.path.exists(path) or open(path).read() != text:
            print("MATRIX.md is stale: run tools/gen-matrix.py")
            return 1
        print("gen-matrix: MATRIX.md is current")
        return 0
    with open(path, "w") as fp:
        fp.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
