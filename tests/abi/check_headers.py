#!/usr/bin/env python3
"""The generated headers declare libvirt 9.0.0's API with libvirt's names and values.

Checks, against Debian's libvirt-dev (its headers and libvirt-api.xml):
  1. every constant, enum value and object-like macro of libvirt's API exists
     in our headers with the same value (one C program printing all of them is
     compiled against both header sets; the outputs must be identical);
  2. every struct has the same size, alignment and field offsets (same method);
  3. every function prototype and non-enum typedef of ours is compatible with
     libvirt's (ours are redeclared after including libvirt's headers: the C
     compiler rejects any conflicting type);
  4. our headers declare nothing libvirt's do not (same program, both ways).

usage: check_headers.py OUR_INCLUDE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

API = "/usr/share/libvirt/api/libvirt-api.xml"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def api_items():
    root = ET.parse(API).getroot()
    consts = [e.get("name") for e in root.iter("enum")]
    strings, numbers = [], []
    for m in root.iter("macro"):
        if m.get("params") is not None or m.get("name").startswith("_vir"):
            continue
        (strings if m.get("string") is not None else numbers).append(m.get("name"))
    structs = []
    seen = set()
    for s in root.iter("struct"):
        tag = s.get("type").replace("struct ", "")
        fields = [f.get("name") for f in s.findall("field")]
        if fields and tag not in seen:
            seen.add(tag)
            structs.append((tag, fields))
    enum_typedefs = [t.get("name") for t in root.iter("typedef") if t.get("type") == "enum"]
    return consts, numbers, strings, structs, enum_typedefs


def values_program(consts, numbers, strings, structs, enum_typedefs, sentinels):
    lines = []
    if sentinels:
        lines.append("#define VIR_ENUM_SENTINELS")
    lines += ["#include <stdio.h>", "#include <stddef.h>", "#include <libvirt/libvirt.h>",
              "#include <libvirt/virterror.h>", "int main(void) {"]
    for n in consts + numbers:
        lines.append('  printf("%s %%lld\\n", (long long)(%s));' % (n, n))
    for n in strings:
        lines.append('  printf("%s %%s\\n", %s);' % (n, n))
    for tag, fields in structs:
        lines.append('  printf("struct %s %%zu %%zu\\n", sizeof(struct %s), _Alignof(struct %s));' % (tag, tag, tag))
        for f in fields:
            lines.append('  printf("  .%s %%zu %%zu\\n", offsetof(struct %s, %s), sizeof(((struct %s *)0)->%s));'
                         % (f, tag, f, tag, f))
    for t in enum_typedefs:
        lines.append('  printf("typedef %s %%zu\\n", sizeof(%s));' % (t, t))
    lines += ['  printf("LIBVIR_CHECK_VERSION(9,0,0)=%d (9,0,1)=%d\\n", LIBVIR_CHECK_VERSION(9,0,0), LIBVIR_CHECK_VERSION(9,0,1));',
              "  return 0;", "}"]
    return "\n".join(lines) + "\n"


def compile_and_run(src, incdir, tmp, tag):
    c = os.path.join(tmp, tag + ".c")
    exe = os.path.join(tmp, tag)
    with open(c, "w") as fp:
        fp.write(src)
    inc = ["-I", incdir] if incdir else []
    r = run(["cc", "-std=gnu11", "-Wall", "-Werror", "-Wno-deprecated-declarations"] + inc + ["-o", exe, c])
    if r.returncode != 0:
        return None, r.stderr
    r = run([exe])
    return r.stdout, r.stderr


def our_declarations(incdir):
    """Prototypes and non-enum typedefs, as text, from our headers."""
    decls = []
    hdrdir = os.path.join(incdir, "libvirt")
    for fn in sorted(os.listdir(hdrdir)):
        text = open(os.path.join(hdrdir, fn)).read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for m in re.finditer(r"^(typedef (?!struct|int |unsigned int )[^;{]*;|[A-Za-z_][\w \*]*\bvir\w+\([^;{}]*\);)", text, re.M):
            decls.append(m.group(1))
        for m in re.finditer(r"^extern (?!\"C\")[^;\n]*;", text, re.M):
            decls.append(m.group(0))
    return decls


def main():
    incdir = os.path.abspath(sys.argv[1])
    consts, numbers, strings, structs, enum_typedefs = api_items()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        # Without VIR_ENUM_SENTINELS the *_LAST sentinels must be undeclared in
        # both header sets alike.
        prog = values_program(consts, numbers, strings, structs, enum_typedefs, False)
        undeclared = []
        for incdir_ in (None, incdir):
            path = os.path.join(tmp, "nosentinels.c")
            with open(path, "w") as fp:
                fp.write(prog)
            inc = ["-I", incdir_] if incdir_ else []
            r = run(["cc", "-std=gnu11", "-fsyntax-only", "-fmax-errors=0", "-Wno-deprecated-declarations"] + inc + [path])
            undeclared.append(set(re.findall(r"error: .(\w+). undeclared", r.stderr)))
        if undeclared[0] != undeclared[1]:
            problems.append("without VIR_ENUM_SENTINELS, declared differently: %s"
                            % sorted(undeclared[0] ^ undeclared[1]))
        for sentinels in (True,):
            prog = values_program(consts, numbers, strings, structs, enum_typedefs, sentinels)
            theirs, err = compile_and_run(prog, None, tmp, "theirs")
            if theirs is None:
                sys.exit("check_headers: the reference program does not build against libvirt's headers:\n" + err)
            ours, err = compile_and_run(prog, incdir, tmp, "ours")
            if ours is None:
                problems.append("values program does not compile against our headers (sentinels=%s):\n%s"
                                % (sentinels, err[:4000]))
            elif ours != theirs:
                a, b = theirs.splitlines(), ours.splitlines()
                diff = [f"libvirt: {x}\n   ours: {y}" for x, y in zip(a, b) if x != y]
                problems.append("values differ (sentinels=%s):\n%s" % (sentinels, "\n".join(diff[:50])))
        # Our declarations redeclared after libvirt's own: the compiler checks compatibility.
        decls = our_declarations(incdir)
        nfuncs = sum(1 for d in decls if not d.startswith("typedef") and not d.startswith("extern"))
        tu = "#include <libvirt/libvirt.h>\n#include <libvirt/virterror.h>\n" + "\n".join(decls) + "\nint main(void) { return 0; }\n"
        path = os.path.join(tmp, "compat.c")
        with open(path, "w") as fp:
            fp.write(tu)
        r = run(["cc", "-std=gnu11", "-fsyntax-only", "-Wno-deprecated-declarations", path])
        if r.returncode != 0:
            problems.append("our declarations conflict with libvirt's:\n" + r.stderr[:6000])
        # A program using every function of ours must also build against libvirt's
        # headers (nothing extra) and vice versa (nothing missing).
        root = ET.parse(API).getroot()
        funcs = sorted(f.get("name") for f in root.iter("function"))
        ours_funcs = set(re.findall(r"\b(vir\w+)\(", "\n".join(d for d in decls if not d.startswith("typedef"))))
        missing = sorted(set(funcs) - ours_funcs)
        extra = sorted(ours_funcs - set(funcs))
        if missing:
            problems.append("functions missing from our headers: %s" % missing)
        if extra:
            problems.append("functions in our headers that libvirt lacks: %s" % extra)
    if problems:
        print("\n\n".join(problems))
        print("check_headers: %d problem(s)" % len(problems))
        return 1
    print("check_headers: %d sentinels only under VIR_ENUM_SENTINELS;" % len(undeclared[0]))
    print("check_headers: %d constants, %d string macros, %d structs, %d enum types and %d prototypes match libvirt 9.0.0"
          % (len(consts) + len(numbers), len(strings), len(structs), len(enum_typedefs), nfuncs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
