"""The domain API through Debian's unmodified python3-libvirt, as a transcript.

run_transcript.py runs this once on Debian's libvirt (the reference) and once on
our library, and requires identical output.  With EXPECT_LIBVIRT_DIR set, the
script first proves (through /proc/self/maps) that the libvirt.so.0 in that
directory is the one the binding loaded.

Everything printed is deterministic: libvirt returns domain and snapshot lists
in hash-table order (randomly seeded per process), so lists are sorted; the
guests defined here carry fixed UUIDs and MAC addresses (libvirt makes up
random ones otherwise); snapshot creation times and the names libvirt derives
from them are replaced by placeholders; CPU times are never printed; paths
under the private temporary directory print as $TMP.

usage: domains.py [SECTION...]     (all sections by default)
"""
import os
import re
import shutil
import sys
import tempfile

import libvirt

import mapped

# The connection under test: the local test driver, or (tests/remote) the
# same test driver behind a libvirtd.
URI = os.environ.get("VIRT_TEST_URI", "test:///default")


mapped.check()

# Events need an event loop registered before the first connection opens.
libvirt.virEventRegisterDefaultImpl()

TMP = tempfile.mkdtemp(prefix="domains-")
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"

# Errors are printed where they happen; without a handler libvirt would also
# print each one on stderr (that default is compared by the C tests).
libvirt.registerErrorHandler(lambda ctx, err: None, None)


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------

SNAP_TIME = re.compile(r"<creationTime>\d+</creationTime>")
GENERATED_NAME = re.compile(r"\b1[0-9]{9}\b")  # a snapshot name libvirt derived from the time


def norm(text):
    return text.replace(TMP, "$TMP")


def snapnorm(text):
    return GENERATED_NAME.sub("<time>", SNAP_TIME.sub("<creationTime>T</creationTime>", text))


def show(r, sort=False):
    """A stable text for a result."""
    if isinstance(r, libvirt.virDomain):
        return "<domain %s>" % r.name()
    if isinstance(r, libvirt.virDomainSnapshot):
        return "<snapshot %s>" % snapnorm(r.getName())
    if isinstance(r, libvirt.virDomainCheckpoint):
        return "<checkpoint %s>" % r.getName()
    if isinstance(r, libvirt.virConnect):
        return "<connection>"
    if isinstance(r, bytes):
        return "bytes(%s)" % r.hex()
    if isinstance(r, (list, tuple)):
        items = [show(x) for x in r]
        if sort:
            items.sort()
        return ("[%s]" if isinstance(r, list) else "(%s)") % ", ".join(items)
    if isinstance(r, dict):
        return "{%s}" % ", ".join("%r: %s" % (k, show(v)) for k, v in r.items())
    if isinstance(r, str) and "\n" in r:
        return "\n    " + "\n    ".join(r.rstrip("\n").split("\n"))
    return repr(r)


def error_text(e):
    if isinstance(e, libvirt.libvirtError):
        return "error code=%s domain=%s message=%r" % (e.get_error_code(), e.get_error_domain(),
                                                     e.get_error_message())
    return "%s: %s" % (type(e).__name__, e)


def out(text):
    print(norm(text))


def attempt(label, f, *args, sort=False, snap=False):
    """Calls f(*args) and prints its result or its error; returns the result (None on error)."""
    try:
        r = f(*args)
    except Exception as e:  # libvirtError, or the binding's own argument checks
        out("%s -> %s" % (label, error_text(e)))
        return None
    text = show(r, sort)
    out("%s -> %s" % (label, snapnorm(text) if snap else text))
    return r


def section(name):
    print()
    print("== " + name)


def status(d, label=None):
    """One line with everything about a domain's state."""
    if d is None:
        out("  %s: (no domain)" % label)
        return
    try:
        st = d.state()
        info = d.info()
        text = ("state=%s id=%d active=%d persistent=%d updated=%d memory=%d/%d vcpus=%d"
                % (st, d.ID(), d.isActive(), d.isPersistent(), d.isUpdated(), info[2], info[1], info[3]))
    except libvirt.libvirtError as e:
        text = error_text(e)
    out("  %s: %s" % (label or d.name(), text))


def domxml(name, uuid_tail, extra="", memory=65536, vcpu="<vcpu>2</vcpu>", test_ns=False):
    """A guest definition with a fixed UUID (libvirt invents a random one otherwise)."""
    ns = " xmlns:test='%s'" % TEST_NS if test_ns else ""
    return ("<domain type='test'%s><name>%s</name><uuid>c7a5fdbd-cdaf-9455-926a-%012d</uuid>"
            "<memory>%d</memory>%s<os><type>hvm</type></os>%s</domain>"
            % (ns, name, uuid_tail, memory, vcpu, extra))


DISK = ("<devices><disk type='file' device='disk'><source file='/guest/disk.img'/>"
        "<target dev='vda' bus='virtio'/></disk></devices>")


def write(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w") as fp:
        fp.write(text)
    return p


FLAG_NAMES = [n for n in dir(libvirt) if n.startswith("VIR_CONNECT_LIST_DOMAINS_")]
FLAGS = sorted(((getattr(libvirt, n), n[len("VIR_CONNECT_LIST_DOMAINS_"):]) for n in FLAG_NAMES))


def names(doms):
    return sorted(d.name() for d in doms)


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

def lookups():
    section("lookups on test:///default")
    conn = libvirt.open(URI)
    for i in (1, 0, -1, 2, 2147483647):
        attempt("lookupByID(%d)" % i, conn.lookupByID, i)
    for n in ("test", "nope", "", "TEST", " test", None):
        attempt("lookupByName(%r)" % (n,), conn.lookupByName, n)
    for u in ("6695eb01-f6a4-8304-79aa-97f2502e193f", "6695EB01-F6A4-8304-79AA-97F2502E193F",
              "6695eb01f6a4830479aa97f2502e193f", "  6695eb01-f6a4-8304-79aa-97f2502e193f",
              "6695eb01-f6a4-8304-79aa-97f2502e193f  ", "6695eb01-f6a4-8304-79aa-97f2502e193",
              "6695eb01-f6a4-8304-79aa-97f2502e193f0", "6695-eb01-f6a4-8304-79aa-97f2-502e-193f",
              "{6695eb01-f6a4-8304-79aa-97f2502e193f}", "zz95eb01-f6a4-8304-79aa-97f2502e193f",
              "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "", None):
        attempt("lookupByUUIDString(%r)" % (u,), conn.lookupByUUIDString, u)
    for b in (bytes.fromhex("6695eb01f6a4830479aa97f2502e193f"), bytes(16)):
        attempt("lookupByUUID(%s)" % b.hex(), conn.lookupByUUID, b)
    ro = libvirt.openReadOnly(URI)
    attempt("read-only lookupByName('test')", ro.lookupByName, "test")
    attempt("read-only lookupByID(1)", ro.lookupByID, 1)
    ro.close()
    conn.close()


def properties():
    section("properties of a running domain")
    conn = libvirt.open(URI)
    d = conn.lookupByName("test")
    for name in ("name", "ID", "UUID", "UUIDString", "OSType", "state", "maxMemory", "maxVcpus", "isActive",
                 "isPersistent", "isUpdated", "autostart", "hostname", "schedulerType", "schedulerParameters",
                 "hasManagedSaveImage", "hasCurrentSnapshot", "snapshotNum", "snapshotListNames"):
        attempt(name, getattr(d, name), sort=name == "snapshotListNames")
    attempt("info()[:4]", lambda: d.info()[:4])
    attempt("state(0)", d.state, 0)
    attempt("state(1)", d.state, 1)
    attempt("hostname(0)", d.hostname, 0)
    attempt("hostname(1)", d.hostname, 1)
    attempt("hostname(4)", d.hostname, 4)
    attempt("connect() is conn", lambda: d.connect() is conn)
    attempt("XMLDesc()", d.XMLDesc)
    for flags in (0, libvirt.VIR_DOMAIN_XML_SECURE, libvirt.VIR_DOMAIN_XML_INACTIVE,
                  libvirt.VIR_DOMAIN_XML_UPDATE_CPU, libvirt.VIR_DOMAIN_XML_MIGRATABLE,
                  libvirt.VIR_DOMAIN_XML_SECURE | libvirt.VIR_DOMAIN_XML_INACTIVE, 1 << 4, 1 << 31):
        r = attempt("XMLDesc(%#x) same as XMLDesc()" % flags, lambda: d.XMLDesc(flags) == d.XMLDesc())
        if r is False:
            attempt("XMLDesc(%#x)" % flags, d.XMLDesc, flags)
    for flags in (0, libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG,
                  libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG, 1 << 8):
        attempt("schedulerParametersFlags(%d)" % flags, d.schedulerParametersFlags, flags)
    for flags in (0, libvirt.VIR_DOMAIN_VCPU_LIVE, libvirt.VIR_DOMAIN_VCPU_CONFIG, libvirt.VIR_DOMAIN_VCPU_MAXIMUM,
                  libvirt.VIR_DOMAIN_VCPU_MAXIMUM | libvirt.VIR_DOMAIN_VCPU_CONFIG,
                  libvirt.VIR_DOMAIN_VCPU_MAXIMUM | libvirt.VIR_DOMAIN_VCPU_LIVE,
                  libvirt.VIR_DOMAIN_VCPU_LIVE | libvirt.VIR_DOMAIN_VCPU_CONFIG,
                  libvirt.VIR_DOMAIN_VCPU_GUEST, libvirt.VIR_DOMAIN_VCPU_HOTPLUGGABLE, 1 << 10):
        attempt("vcpusFlags(%#x)" % flags, d.vcpusFlags, flags)
    attempt("vcpus() without times", lambda: [[v[0], v[1], v[3]] for v in d.vcpus()[0]] + [list(d.vcpus()[1])])

    section("properties of a defined, inactive domain")
    off = conn.defineXML(domxml("props-off", 1, vcpu="<vcpu current='1'>3</vcpu>",
                                extra="<devices><interface type='network'><mac address='52:54:00:00:00:01'/>"
                                      "<source network='default'/></interface></devices>"))
    for name in ("name", "ID", "UUIDString", "OSType", "state", "maxMemory", "isActive", "isPersistent",
                 "isUpdated", "autostart", "hasManagedSaveImage", "schedulerType", "schedulerParameters"):
        attempt(name, getattr(off, name))
    attempt("info()[:4]", lambda: off.info()[:4])
    attempt("maxVcpus (inactive)", off.maxVcpus)
    attempt("hostname (inactive)", off.hostname)
    attempt("vcpus (inactive)", off.vcpus)
    for flags in (0, libvirt.VIR_DOMAIN_VCPU_CONFIG, libvirt.VIR_DOMAIN_VCPU_LIVE, libvirt.VIR_DOMAIN_VCPU_MAXIMUM,
                  libvirt.VIR_DOMAIN_VCPU_MAXIMUM | libvirt.VIR_DOMAIN_VCPU_CONFIG):
        attempt("vcpusFlags(%#x)" % flags, off.vcpusFlags, flags)
    attempt("XMLDesc()", off.XMLDesc)
    attempt("XMLDesc(INACTIVE) same", lambda: off.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == off.XMLDesc())
    attempt("undefine", off.undefine)
    attempt("name after undefine", off.name)
    attempt("UUIDString after undefine", off.UUIDString)
    attempt("ID after undefine", off.ID)
    attempt("state after undefine", off.state)
    attempt("info after undefine", off.info)
    attempt("XMLDesc after undefine", off.XMLDesc)
    attempt("isActive after undefine", off.isActive)
    del off, d
    conn.close()


def fleet_node():
    """A node file with guests in every state the test driver can load."""
    t = "<test:%s>%s</test:%s>"

    def runstate(n):
        return t % ("runstate", n, "runstate")

    snapshot = ("<test:domainsnapshot><name>loaded</name><creationTime>1400000000</creationTime>"
                "<state>running</state><active>1</active>%s</test:domainsnapshot>"
                % domxml("snapped", 7).replace("<domain type='test'>", "<domain type='test'>"))
    guests = [
        domxml("running", 1, DISK, test_ns=True),
        domxml("paused", 2, runstate(3), test_ns=True),
        domxml("shutoff", 3, runstate(5), test_ns=True),
        domxml("saved", 4, runstate(5) + "<test:hasmanagedsave/>", test_ns=True),
        domxml("transient", 5, "<test:transient/>", test_ns=True),
        domxml("pmsuspended", 6, runstate(7), test_ns=True),
        domxml("snapped", 7, snapshot, test_ns=True),
        domxml("crashed", 8, runstate(6), test_ns=True),
        domxml("blocked", 9, runstate(2), test_ns=True),
        domxml("shuttingdown", 10, runstate(4), test_ns=True),
    ]
    return write("fleet.xml", "<node>%s</node>" % "".join(guests))


def listing():
    section("listing a node file's guests")
    conn = libvirt.open("test://" + fleet_node())
    for d in sorted(conn.listAllDomains(0), key=lambda d: d.name()):
        status(d)
    attempt("numOfDomains", conn.numOfDomains)
    attempt("listDomainsID", lambda: sorted(conn.listDomainsID()))
    attempt("numOfDefinedDomains", conn.numOfDefinedDomains)
    attempt("listDefinedDomains", lambda: sorted(conn.listDefinedDomains()))
    attempt("setAutostart(running)", conn.lookupByName("running").setAutostart, 1)
    attempt("setAutostart(shutoff)", conn.lookupByName("shutoff").setAutostart, 1)

    def filtered(label):
        out("  %-52s %s" % (label, ""))

    for bit, name in FLAGS:
        attempt("listAllDomains(%s)" % name, lambda: names(conn.listAllDomains(bit)))
    flags = [f for f in FLAGS]
    for i, (a, an) in enumerate(flags):
        for b, bn in flags[i + 1:]:
            attempt("listAllDomains(%s|%s)" % (an, bn), lambda: names(conn.listAllDomains(a | b)))
    for combo in (("ACTIVE", "PERSISTENT", "RUNNING"), ("INACTIVE", "PERSISTENT", "NO_MANAGEDSAVE"),
                  ("RUNNING", "PAUSED", "SHUTOFF"), ("RUNNING", "PAUSED", "SHUTOFF", "OTHER"),
                  ("PERSISTENT", "AUTOSTART", "NO_SNAPSHOT"), ("TRANSIENT", "NO_AUTOSTART", "NO_CHECKPOINT")):
        flags = 0
        for n in combo:
            flags |= getattr(libvirt, "VIR_CONNECT_LIST_DOMAINS_" + n)
        attempt("listAllDomains(%s)" % "|".join(combo), lambda: names(conn.listAllDomains(flags)))
    everything = 0
    for bit, _ in FLAGS:
        everything |= bit
    attempt("listAllDomains(all filters)", lambda: names(conn.listAllDomains(everything)))
    attempt("listAllDomains(1 << 20)", conn.listAllDomains, 1 << 20)
    attempt("listAllDomains(everything | 1 << 20)", conn.listAllDomains, everything | 1 << 20)

    section("a checkpoint shows in the filters")
    d = conn.lookupByName("running")
    attempt("checkpointCreateXML", d.checkpointCreateXML, "<domaincheckpoint><name>cp1</name></domaincheckpoint>")
    for n in ("HAS_CHECKPOINT", "NO_CHECKPOINT"):
        attempt("listAllDomains(%s)" % n,
                lambda: names(conn.listAllDomains(getattr(libvirt, "VIR_CONNECT_LIST_DOMAINS_" + n))))
    attempt("undefine with a checkpoint", conn.lookupByName("running").undefine)
    attempt("listAllCheckpoints", d.listAllCheckpoints, sort=True)
    del d
    conn.close()


def creation():
    section("define, create, undefine")
    conn = libvirt.open(URI)
    d = attempt("defineXML", conn.defineXML, domxml("guest1", 101))
    status(d)
    attempt("defineXML again (same name and UUID)", conn.defineXML, domxml("guest1", 101, memory=131072))
    status(d)
    attempt("defineXML same name, other UUID", conn.defineXML, domxml("guest1", 102))
    attempt("defineXML same UUID, other name", conn.defineXML, domxml("guest1-renamed", 101))
    attempt("defineXML the running domain's name", conn.defineXML, domxml("test", 103))
    attempt("defineXMLFlags(VALIDATE)", conn.defineXMLFlags, domxml("guest2", 104),
            libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    attempt("defineXMLFlags(1 << 5)", conn.defineXMLFlags, domxml("guest3", 105), 1 << 5)
    bad = [
        ("empty", ""),
        ("not XML", "this is not XML"),
        ("unterminated", "<domain type='test'><name>x</name>"),
        ("wrong root", "<network><name>x</name></network>"),
        ("no type", "<domain>%s</domain>"),
        ("type kvm", "<domain type='kvm'>%s</domain>"),
        ("unknown type", "<domain type='nope'>%s</domain>"),
        ("no name", "<domain type='test'><memory>1024</memory><os><type>hvm</type></os></domain>"),
        ("no memory", "<domain type='test'><name>bad</name><os><type>hvm</type></os></domain>"),
        ("no os", "<domain type='test'><name>bad</name><memory>1024</memory></domain>"),
        ("bad os type", "<domain type='test'><name>bad</name><memory>1024</memory><os><type>xyz</type></os></domain>"),
        ("bad uuid", "<domain type='test'><name>bad</name><uuid>1234</uuid><memory>1024</memory>"
                     "<os><type>hvm</type></os></domain>"),
        ("slash in name", "<domain type='test'><name>a/b</name><memory>1024</memory><os><type>hvm</type></os>"
                          "</domain>"),
        ("zero vcpus", domxml("bad", 106, vcpu="<vcpu>0</vcpu>")),
        ("current > max vcpus", domxml("bad", 107, vcpu="<vcpu current='4'>2</vcpu>")),
        ("bad memory", "<domain type='test'><name>bad</name><memory>lots</memory><os><type>hvm</type></os></domain>"),
        ("currentMemory > memory", domxml("bad", 108, "<currentMemory>999999</currentMemory>")),
        ("unknown element", domxml("bad", 109, "<frobnicate/>")),
        ("on_poweroff bogus", domxml("bad", 110, "<on_poweroff>explode</on_poweroff>")),
        ("two names", "<domain type='test'><name>a</name><name>b</name><memory>1024</memory>"
                      "<os><type>hvm</type></os></domain>"),
        ("empty name", "<domain type='test'><name></name><memory>1024</memory><os><type>hvm</type></os></domain>"),
        ("disk without target", domxml("bad", 111, "<devices><disk type='file'><source file='/x'/></disk></devices>")),
        ("interface bad mac", domxml("bad", 112, "<devices><interface type='network'><mac address='zz'/>"
                                                 "<source network='default'/></interface></devices>")),
    ]
    body = "<name>bad</name><uuid>c7a5fdbd-cdaf-9455-926a-000000000199</uuid><memory>1024</memory>" \
           "<os><type>hvm</type></os>"
    for label, xml in bad:
        r = attempt("defineXML(%s)" % label, conn.defineXML, xml.replace("%s", body))
        if r is not None:
            status(r)
            attempt("  undefine", r.undefine)
    attempt("defineXML(None)", conn.defineXML, None)
    attempt("create", d.create)
    status(d)
    attempt("create again", d.create)
    attempt("defineXML while running (new memory)", conn.defineXML, domxml("guest1", 101, memory=262144))
    status(d)
    attempt("XMLDesc(INACTIVE) memory", lambda: re.findall(r"<memory[^>]*>\d+", d.XMLDesc(2)))
    attempt("XMLDesc() memory", lambda: re.findall(r"<memory[^>]*>\d+", d.XMLDesc(0)))
    attempt("destroy", d.destroy)
    status(d)
    attempt("destroy again", d.destroy)
    attempt("createWithFlags(PAUSED)", d.createWithFlags, libvirt.VIR_DOMAIN_START_PAUSED)
    status(d)
    attempt("destroyFlags(GRACEFUL)", d.destroyFlags, libvirt.VIR_DOMAIN_DESTROY_GRACEFUL)
    for flags in (libvirt.VIR_DOMAIN_START_AUTODESTROY, libvirt.VIR_DOMAIN_START_BYPASS_CACHE,
                  libvirt.VIR_DOMAIN_START_FORCE_BOOT, libvirt.VIR_DOMAIN_START_VALIDATE,
                  libvirt.VIR_DOMAIN_START_RESET_NVRAM, 1 << 9):
        if attempt("createWithFlags(%#x)" % flags, d.createWithFlags, flags) is not None:
            status(d)
            attempt("destroy", d.destroy)
    attempt("destroyFlags(1 << 7) on inactive", d.destroyFlags, 1 << 7)
    attempt("undefine", d.undefine)
    attempt("undefine again", d.undefine)
    attempt("lookupByName(guest1)", conn.lookupByName, "guest1")
    g2 = conn.lookupByName("guest2")
    attempt("create guest2", g2.create)
    attempt("undefine a running domain", g2.undefine)
    status(g2)
    attempt("lookupByName(guest2) after undefine", conn.lookupByName, "guest2")
    attempt("setAutostart on a transient domain", g2.setAutostart, 1)
    attempt("undefine a transient domain", g2.undefine)
    attempt("destroy the now transient domain", g2.destroy)
    attempt("lookupByName(guest2) after destroy", conn.lookupByName, "guest2")
    attempt("state of a vanished domain", g2.state)
    del g2

    section("transient domains: createXML")
    t = attempt("createXML", conn.createXML, domxml("trans1", 201), 0)
    status(t)
    attempt("createXML again", conn.createXML, domxml("trans1", 201), 0)
    attempt("createXML same name other UUID", conn.createXML, domxml("trans1", 202), 0)
    attempt("defineXML over the transient domain", conn.defineXML, domxml("trans1", 201, memory=32768))
    status(t)
    attempt("destroy", t.destroy)
    status(t)
    attempt("undefine", t.undefine)
    t = attempt("createXML(PAUSED)", conn.createXML, domxml("trans2", 203), libvirt.VIR_DOMAIN_START_PAUSED)
    status(t)
    t = attempt("createXML(0)", conn.createXML, domxml("trans2", 203), 0)
    attempt("suspend", t.suspend)
    attempt("resume", t.resume)
    attempt("shutdown", t.shutdown)
    attempt("state after shutdown", t.state)
    attempt("lookupByName(trans2) after shutdown", conn.lookupByName, "trans2")
    attempt("create a vanished transient domain", t.create)
    for flags in (libvirt.VIR_DOMAIN_START_AUTODESTROY, libvirt.VIR_DOMAIN_START_VALIDATE,
                  libvirt.VIR_DOMAIN_START_BYPASS_CACHE, libvirt.VIR_DOMAIN_START_FORCE_BOOT,
                  libvirt.VIR_DOMAIN_START_RESET_NVRAM, 1 << 9):
        t = attempt("createXML(%#x)" % flags, conn.createXML, domxml("trans3", 204), flags)
        if t is not None:
            status(t)
            attempt("destroy", t.destroy)
    attempt("createXML(bad XML)", conn.createXML, "<domain type='test'>", 0)
    attempt("createXML(None)", conn.createXML, None, 0)
    # A persistent inactive domain started through createXML with its own UUID.
    p = conn.defineXML(domxml("pers1", 205, memory=32768))
    attempt("createXML over an inactive persistent domain", conn.createXML, domxml("pers1", 205), 0)
    status(p)
    attempt("XMLDesc(INACTIVE) memory", lambda: re.findall(r"<memory[^>]*>\d+", p.XMLDesc(2)))
    attempt("destroy", p.destroy)
    status(p)
    attempt("undefine", p.undefine)
    del p, t, d
    conn.close()


def transitions():
    section("state transitions")
    conn = libvirt.open(URI)
    d = conn.defineXML(domxml("life", 301, vcpu="<vcpu current='2'>4</vcpu>",
                              extra="<on_reboot>restart</on_reboot>"))
    for name in ("suspend", "resume", "shutdown", "reboot", "reset", "destroy"):
        attempt(name + " while shut off", getattr(d, name), *((0,) if name in ("reboot", "reset") else ()))
    attempt("shutdownFlags(0) while shut off", d.shutdownFlags, 0)
    attempt("create", d.create)
    status(d)
    attempt("resume while running", d.resume)
    attempt("suspend", d.suspend)
    status(d)
    attempt("suspend while paused", d.suspend)
    attempt("reboot while paused", d.reboot, 0)
    status(d)
    attempt("resume", d.resume)
    status(d)
    for flags in (0, libvirt.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN, libvirt.VIR_DOMAIN_REBOOT_GUEST_AGENT,
                  libvirt.VIR_DOMAIN_REBOOT_INITCTL, libvirt.VIR_DOMAIN_REBOOT_SIGNAL,
                  libvirt.VIR_DOMAIN_REBOOT_PARAVIRT, 1 << 8):
        attempt("reboot(%#x)" % flags, d.reboot, flags)
        status(d)
    attempt("reset(0)", d.reset, 0)
    status(d)
    attempt("reset(1)", d.reset, 1)
    for flags in (libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN, libvirt.VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
                  libvirt.VIR_DOMAIN_SHUTDOWN_INITCTL, libvirt.VIR_DOMAIN_SHUTDOWN_SIGNAL,
                  libvirt.VIR_DOMAIN_SHUTDOWN_PARAVIRT, 1 << 8):
        if attempt("shutdownFlags(%#x)" % flags, d.shutdownFlags, flags) is not None:
            status(d)
            attempt("create", d.create)
    attempt("shutdown", d.shutdown)
    status(d)
    attempt("create", d.create)
    attempt("suspend", d.suspend)
    attempt("shutdown while paused", d.shutdown)
    status(d)
    attempt("create", d.create)
    attempt("suspend", d.suspend)
    attempt("destroy while paused", d.destroy)
    status(d)

    section("on_poweroff / on_reboot actions")
    for event, op in (("on_poweroff", "shutdown"), ("on_reboot", "reboot"), ("on_crash", "reboot")):
        for action in ("destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart"):
            x = attempt("defineXML(%s=%s)" % (event, action), conn.defineXML,
                        domxml("act", 302, extra="<%s>%s</%s>" % (event, action, event)))
            if x is None:
                continue
            attempt("  create", x.create)
            attempt("  " + op, getattr(x, op), *((0,) if op == "reboot" else ()))
            status(x, "  after " + op)
            if x.isActive():
                attempt("  destroy", x.destroy)
            attempt("  undefine", x.undefine)

    section("autostart")
    attempt("autostart", d.autostart)
    attempt("setAutostart(1)", d.setAutostart, 1)
    attempt("autostart", d.autostart)
    attempt("setAutostart(5)", d.setAutostart, 5)
    attempt("autostart", d.autostart)
    attempt("setAutostart(0)", d.setAutostart, 0)
    attempt("autostart", d.autostart)
    attempt("setAutostart(-1)", d.setAutostart, -1)
    attempt("autostart", d.autostart)
    attempt("undefine", d.undefine)
    del d
    conn.close()


def memory_and_vcpus():
    section("memory")
    conn = libvirt.open(URI)
    d = conn.defineXML(domxml("mem", 401, "<currentMemory>524288</currentMemory>", memory=1048576,
                              vcpu="<vcpu current='2'>4</vcpu>"))
    LIVE, CONFIG, CURRENT, MAX = (libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG,
                                  libvirt.VIR_DOMAIN_AFFECT_CURRENT, libvirt.VIR_DOMAIN_MEM_MAXIMUM)

    def mem():
        try:
            info = d.info()
            cfg = re.findall(r"<(?:currentMemory|memory)[^>]*>\d+", d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            out("  info memory=%d max=%d maxMemory()=%d config=%s" % (info[2], info[1], d.maxMemory(), cfg))
        except libvirt.libvirtError as e:
            out("  " + error_text(e))

    def memory_calls(state):
        for value in (262144, 1048576, 2097152, 0):
            attempt("%s: setMemory(%d)" % (state, value), d.setMemory, value)
            mem()
        for value in (2097152, 786432, 131072, 0):
            attempt("%s: setMaxMemory(%d)" % (state, value), d.setMaxMemory, value)
            mem()
        for flags in (CURRENT, LIVE, CONFIG, LIVE | CONFIG, MAX, MAX | CONFIG, MAX | LIVE, 1 << 6):
            for value in (393216, 4194304):
                attempt("%s: setMemoryFlags(%d, %#x)" % (state, value, flags), d.setMemoryFlags, value, flags)
                mem()

    memory_calls("inactive")
    attempt("create", d.create)
    memory_calls("running")
    attempt("setMemoryStatsPeriod(5)", d.setMemoryStatsPeriod, 5, 0)
    attempt("destroy", d.destroy)

    section("vcpus")
    VL, VC, VM, VG = (libvirt.VIR_DOMAIN_VCPU_LIVE, libvirt.VIR_DOMAIN_VCPU_CONFIG, libvirt.VIR_DOMAIN_VCPU_MAXIMUM,
                      libvirt.VIR_DOMAIN_VCPU_GUEST)

    def vcpus():
        res = []
        for flags in (0, VC, VM | VC, VL, VM | VL):
            try:
                res.append(d.vcpusFlags(flags))
            except libvirt.libvirtError:
                res.append("err")
        try:
            mv = d.maxVcpus()
        except libvirt.libvirtError:
            mv = "err"
        out("  vcpusFlags(cur, CONFIG, MAX|CONFIG, LIVE, MAX|LIVE)=%s maxVcpus=%s info=%d" % (res, mv, d.info()[3]))

    def vcpu_calls(state):
        for n in (1, 4, 3, 5, 0, -1):
            attempt("%s: setVcpus(%d)" % (state, n), d.setVcpus, n)
            vcpus()
        for flags in (0, VL, VC, VL | VC, VM, VM | VC, VM | VL, VG, 1 << 8):
            for n in (2, 6):
                attempt("%s: setVcpusFlags(%d, %#x)" % (state, n, flags), d.setVcpusFlags, n, flags)
                vcpus()

    vcpu_calls("inactive")
    attempt("create", d.create)
    vcpu_calls("running")
    attempt("destroy", d.destroy)
    attempt("undefine", d.undefine)
    del d
    conn.close()


def saving():
    section("managed save")
    conn = libvirt.open(URI)
    d = conn.defineXML(domxml("saver", 501))
    attempt("hasManagedSaveImage", d.hasManagedSaveImage)
    attempt("managedSave while shut off", d.managedSave)
    attempt("managedSaveRemove without an image", d.managedSaveRemove)
    attempt("create", d.create)
    for flags in (1 << 10,):
        attempt("managedSave(%#x)" % flags, d.managedSave, flags)
    attempt("managedSave", d.managedSave)
    status(d)
    attempt("hasManagedSaveImage", d.hasManagedSaveImage)
    attempt("hasManagedSaveImage(1)", d.hasManagedSaveImage, 1)
    attempt("listAllDomains(MANAGEDSAVE)",
            lambda: names(conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)))
    attempt("create (restores the image)", d.create)
    status(d)
    attempt("hasManagedSaveImage after start", d.hasManagedSaveImage)
    attempt("managedSave(PAUSED)", d.managedSave, libvirt.VIR_DOMAIN_SAVE_PAUSED)
    attempt("create", d.create)
    status(d)
    attempt("managedSave(RUNNING)", d.managedSave, libvirt.VIR_DOMAIN_SAVE_RUNNING)
    attempt("create(START_FORCE_BOOT) discards the image", d.createWithFlags, libvirt.VIR_DOMAIN_START_FORCE_BOOT)
    status(d)
    attempt("hasManagedSaveImage", d.hasManagedSaveImage)
    attempt("managedSave(BYPASS_CACHE)", d.managedSave, libvirt.VIR_DOMAIN_SAVE_BYPASS_CACHE)
    attempt("managedSaveRemove", d.managedSaveRemove)
    attempt("managedSaveRemove(1)", d.managedSaveRemove, 1)
    attempt("hasManagedSaveImage", d.hasManagedSaveImage)
    attempt("create", d.create)
    attempt("suspend", d.suspend)
    attempt("managedSave while paused", d.managedSave)
    attempt("create", d.create)
    status(d)
    attempt("destroy", d.destroy)
    attempt("create", d.create)
    attempt("managedSave", d.managedSave)
    attempt("undefine with a managed save image", d.undefine)
    attempt("undefineFlags(MANAGED_SAVE)", d.undefineFlags, libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    attempt("lookupByName(saver)", conn.lookupByName, "saver")
    t = conn.createXML(domxml("transsave", 502), 0)
    attempt("managedSave of a transient domain", t.managedSave)
    attempt("destroy", t.destroy)

    section("save and restore")
    d = conn.defineXML(domxml("saver2", 503))
    img = os.path.join(TMP, "saver2.img")
    attempt("save while shut off", d.save, img)
    attempt("create", d.create)
    attempt("save", d.save, img)
    status(d)
    attempt("image exists", os.path.exists, img)
    attempt("restore", conn.restore, img)
    status(d)
    attempt("restore while running", conn.restore, img)
    attempt("save to a missing directory", d.save, os.path.join(TMP, "missing", "x.img"))
    attempt("saveFlags(PAUSED)", d.saveFlags, img, None, libvirt.VIR_DOMAIN_SAVE_PAUSED)
    attempt("restoreFlags(0)", conn.restoreFlags, img, None, 0)
    status(d)
    attempt("destroy", d.destroy)
    attempt("restoreFlags(RUNNING)", conn.restoreFlags, img, None, libvirt.VIR_DOMAIN_SAVE_RUNNING)
    status(d)
    attempt("saveFlags(1 << 8)", d.saveFlags, img, None, 1 << 8)
    attempt("saveFlags(RUNNING|PAUSED)", d.saveFlags, img,
            None, libvirt.VIR_DOMAIN_SAVE_RUNNING | libvirt.VIR_DOMAIN_SAVE_PAUSED)
    attempt("restore a missing file", conn.restore, os.path.join(TMP, "nothing.img"))
    attempt("restore a file that is not an image", conn.restore, write("junk.img", "not a save image" * 10))
    # (An empty or short file fails with "incomplete save header in '...': " and
    # whatever errno the process last left behind: not a behaviour to compare.)
    attempt("save", d.save, img)
    attempt("undefine", d.undefine)
    attempt("restore an image of an undefined domain", conn.restore, img)
    r = attempt("lookupByName(saver2)", conn.lookupByName, "saver2")
    if r is not None:
        status(r)
        attempt("destroy", r.destroy)
    t = conn.createXML(domxml("transsave2", 504), 0)
    attempt("save a transient domain", t.save, img)
    attempt("lookupByName(transsave2)", conn.lookupByName, "transsave2")
    attempt("restore it", conn.restore, img)
    status(conn.lookupByName("transsave2"), "transsave2 after restore")
    attempt("destroy", conn.lookupByName("transsave2").destroy)
    del d, t, r
    conn.close()


def snapshots():
    section("snapshots")
    conn = libvirt.open(URI)
    d = conn.defineXML(domxml("snapper", 601))
    SN = libvirt
    attempt("hasCurrentSnapshot", d.hasCurrentSnapshot)
    attempt("snapshotNum", d.snapshotNum)
    attempt("snapshotCurrent without one", d.snapshotCurrent)
    attempt("snapshotLookupByName(nope)", d.snapshotLookupByName, "nope")
    s1 = attempt("snapshotCreateXML(s1) while shut off", d.snapshotCreateXML,
                 "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>", 0)
    attempt("getXMLDesc", s1.getXMLDesc, snap=True)
    attempt("create", d.create)
    s2 = attempt("snapshotCreateXML(s2) while running", d.snapshotCreateXML,
                 "<domainsnapshot><name>s2</name></domainsnapshot>", 0)
    attempt("getXMLDesc", s2.getXMLDesc, snap=True)
    attempt("getXMLDesc(SECURE)", s2.getXMLDesc, libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE, snap=True)
    attempt("getXMLDesc(1 << 4)", s2.getXMLDesc, 1 << 4)
    gen = attempt("snapshotCreateXML without a name", d.snapshotCreateXML, "<domainsnapshot/>", 0, snap=True)
    if gen is not None:
        attempt("generated name is the creation time", lambda: gen.getName() == re.search(
            r"<creationTime>(\d+)</creationTime>", gen.getXMLDesc()).group(1))
        attempt("getParent", gen.getParent)
        attempt("delete the generated one", gen.delete, 0)
    attempt("snapshotCreateXML duplicate name", d.snapshotCreateXML, "<domainsnapshot><name>s2</name></domainsnapshot>", 0)
    for label, xml in (("empty", ""), ("not XML", "nope"), ("wrong root", "<domain/>"),
                       ("bad state", "<domainsnapshot><name>x</name><state>bogus</state></domainsnapshot>")):
        attempt("snapshotCreateXML(%s)" % label, d.snapshotCreateXML, xml, 0)
    attempt("snapshotCreateXML(None)", d.snapshotCreateXML, None, 0)
    for flags, name in ((SN.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA, "nometa"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_HALT, "halt"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY, "diskonly"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT, "reuse"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE, "quiesce"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC, "atomic"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_LIVE, "live"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE, "validate"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT, "current"),
                        (SN.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE, "redefine"),
                        (1 << 12, "badflag")):
        s = attempt("snapshotCreateXML(%s, %#x)" % (name, flags), d.snapshotCreateXML,
                    "<domainsnapshot><name>%s</name></domainsnapshot>" % name, flags)
        status(d)
        if s is not None:
            attempt("  isCurrent", s.isCurrent, 0)
            attempt("  hasMetadata", s.hasMetadata, 0)
        if not d.isActive():
            d.create()
    s3 = attempt("snapshotCreateXML(s3)", d.snapshotCreateXML,
                 "<domainsnapshot><name>s3</name><description>third</description></domainsnapshot>", 0)
    attempt("snapshotNum", d.snapshotNum)
    attempt("snapshotListNames", d.snapshotListNames, sort=True)
    attempt("listAllSnapshots", d.listAllSnapshots, sort=True)
    LS = [(getattr(libvirt, n), n[len("VIR_DOMAIN_SNAPSHOT_LIST_"):]) for n in dir(libvirt)
          if n.startswith("VIR_DOMAIN_SNAPSHOT_LIST_")]
    for bit, name in sorted(LS):
        attempt("listAllSnapshots(%s)" % name, d.listAllSnapshots, bit, sort=True)
        attempt("snapshotNum(%s)" % name, d.snapshotNum, bit)
        attempt("snapshotListNames(%s)" % name, d.snapshotListNames, bit, sort=True)
    for combo in (("ROOTS", "LEAVES"), ("ACTIVE", "INACTIVE"), ("METADATA", "NO_METADATA"),
                  ("LEAVES", "NO_LEAVES"), ("INTERNAL", "EXTERNAL"), ("ROOTS", "DESCENDANTS"),
                  ("TOPOLOGICAL", "ROOTS")):
        flags = 0
        for n in combo:
            flags |= getattr(libvirt, "VIR_DOMAIN_SNAPSHOT_LIST_" + n)
        attempt("listAllSnapshots(%s)" % "|".join(combo), d.listAllSnapshots, flags, sort=True)
    attempt("listAllSnapshots(1 << 14)", d.listAllSnapshots, 1 << 14)
    attempt("snapshotCurrent", d.snapshotCurrent)
    attempt("snapshotCurrent(1)", d.snapshotCurrent, 1)
    attempt("hasCurrentSnapshot", d.hasCurrentSnapshot)
    attempt("hasCurrentSnapshot(1)", d.hasCurrentSnapshot, 1)
    for s in (s1, s2, s3):
        if s is None:
            continue
        label = s.getName()
        attempt(label + " getParent", s.getParent)
        attempt(label + " getParent(1)", s.getParent, 1)
        attempt(label + " isCurrent", s.isCurrent)
        attempt(label + " hasMetadata", s.hasMetadata)
        attempt(label + " numChildren", s.numChildren)
        attempt(label + " numChildren(DESCENDANTS)", s.numChildren, libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS)
        attempt(label + " listChildrenNames", s.listChildrenNames, sort=True)
        attempt(label + " listAllChildren(DESCENDANTS)", s.listAllChildren,
                libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS, sort=True)
        attempt(label + " getDomain", s.getDomain)
        attempt(label + " getConnect is conn", lambda: s.getConnect() is conn)
    attempt("snapshotLookupByName(s1)", d.snapshotLookupByName, "s1")
    attempt("snapshotLookupByName(s1, 1)", d.snapshotLookupByName, "s1", 1)
    attempt("snapshotLookupByName(None)", d.snapshotLookupByName, None)

    section("reverting")
    attempt("setMemory(32768) before reverting", d.setMemory, 32768)
    status(d)
    attempt("revertToSnapshot(s1) (taken shut off)", d.revertToSnapshot, s1)
    status(d)
    attempt("current", lambda: d.snapshotCurrent().getName())
    attempt("revertToSnapshot(s2) (taken running)", d.revertToSnapshot, s2)
    status(d)
    attempt("revertToSnapshot(s2, PAUSED)", d.revertToSnapshot, s2, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED)
    status(d)
    attempt("revertToSnapshot(s1, RUNNING)", d.revertToSnapshot, s1, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING)
    status(d)
    attempt("revertToSnapshot(s1, RUNNING|PAUSED)", d.revertToSnapshot, s1,
            libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING | libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED)
    attempt("revertToSnapshot(s2, FORCE)", d.revertToSnapshot, s2, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE)
    status(d)
    attempt("revertToSnapshot(s3, 1 << 8)", d.revertToSnapshot, s3, 1 << 8)
    attempt("current", lambda: d.snapshotCurrent().getName())

    section("snapshot trees and deletion")
    attempt("revertToSnapshot(s1)", d.revertToSnapshot, s1)
    b1 = attempt("snapshotCreateXML(b1) under s1", d.snapshotCreateXML,
                 "<domainsnapshot><name>b1</name></domainsnapshot>", 0)
    b2 = attempt("snapshotCreateXML(b2) under b1", d.snapshotCreateXML,
                 "<domainsnapshot><name>b2</name></domainsnapshot>", 0)
    attempt("b2 getXMLDesc", b2.getXMLDesc, snap=True)
    attempt("s1 listAllChildren", s1.listAllChildren, 0, sort=True)
    attempt("s1 listAllChildren(DESCENDANTS)", s1.listAllChildren, libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS,
            sort=True)
    attempt("s1 listAllChildren(LEAVES)", s1.listAllChildren, libvirt.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES, sort=True)
    attempt("listAllSnapshots(ROOTS)", d.listAllSnapshots, libvirt.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS, sort=True)
    attempt("listAllSnapshots(LEAVES)", d.listAllSnapshots, libvirt.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES, sort=True)
    attempt("listAllSnapshots(TOPOLOGICAL) parents first", lambda: all(
        [s.getName() for s in d.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL)].index(p) <
        [s.getName() for s in d.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL)].index(c)
        for p, c in (("s1", "b1"), ("b1", "b2"), ("s1", "s2"), ("s2", "s3"))))
    attempt("delete(b1, CHILDREN_ONLY)", b1.delete, libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY)
    attempt("snapshotListNames", d.snapshotListNames, sort=True)
    attempt("current", lambda: d.snapshotCurrent().getName())
    attempt("b2 getName after deletion", b2.getName)
    attempt("b2 getXMLDesc after deletion", b2.getXMLDesc)
    attempt("delete(s2, METADATA_ONLY)", s2.delete, libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
    attempt("snapshotListNames", d.snapshotListNames, sort=True)
    attempt("s3 getParent", s3.getParent)
    attempt("delete(s1, 1 << 5)", s1.delete, 1 << 5)
    attempt("delete(s1, CHILDREN|CHILDREN_ONLY)", s1.delete,
            libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN | libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY)
    attempt("undefine with snapshots", d.undefine)
    attempt("destroy", d.destroy)
    attempt("undefine with snapshots (inactive)", d.undefine)
    attempt("delete(s1, CHILDREN)", s1.delete, libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN)
    attempt("snapshotListNames", d.snapshotListNames, sort=True)
    attempt("hasCurrentSnapshot", d.hasCurrentSnapshot)
    attempt("delete(s1) again", s1.delete, 0)
    x = d.snapshotCreateXML("<domainsnapshot><name>last</name></domainsnapshot>", 0)
    attempt("undefineFlags(SNAPSHOTS_METADATA)", d.undefineFlags, libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
    attempt("snapshot of an undefined domain: getName", x.getName)
    attempt("snapshot of an undefined domain: getXMLDesc", x.getXMLDesc)

    section("snapshots from a node file")
    nconn = libvirt.open("test://" + fleet_node())
    nd = nconn.lookupByName("snapped")
    attempt("snapshotListNames", nd.snapshotListNames, sort=True)
    attempt("snapshotCurrent", nd.snapshotCurrent)
    attempt("getXMLDesc", lambda: nd.snapshotLookupByName("loaded").getXMLDesc())
    attempt("revertToSnapshot", lambda: nd.revertToSnapshot(nd.snapshotLookupByName("loaded")))
    status(nd)
    del nd, x, d, s1, s2, s3, b1, b2
    nconn.close()
    conn.close()


def checkpoints():
    section("checkpoints")
    conn = libvirt.open(URI)
    C = libvirt
    d = conn.defineXML(domxml("pointed", 701, DISK))
    attempt("checkpoint of a shut-off domain", d.checkpointCreateXML, "<domaincheckpoint/>")
    d.create()
    c1 = attempt("create c1", d.checkpointCreateXML,
                 "<domaincheckpoint><name>c1</name><description>first</description></domaincheckpoint>")
    c2 = attempt("create c2", d.checkpointCreateXML, "<domaincheckpoint><name>c2</name></domaincheckpoint>")
    c3 = attempt("create c3 (disk not checkpointed)", d.checkpointCreateXML,
                 "<domaincheckpoint><name>c3</name><disks><disk name='vda' checkpoint='no'/></disks>"
                 "</domaincheckpoint>")
    attempt("create c2 again", d.checkpointCreateXML, "<domaincheckpoint><name>c2</name></domaincheckpoint>")
    attempt("create with an unknown disk", d.checkpointCreateXML,
            "<domaincheckpoint><name>x</name><disks><disk name='vdz'/></disks></domaincheckpoint>")
    attempt("create with a bad root", d.checkpointCreateXML, "<checkpoint/>")
    attempt("create with malformed XML", d.checkpointCreateXML, "<domaincheckpoint><name>")
    for flags in (C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
                  C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE | C.VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE,
                  C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE | C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
                  1 << 5):
        attempt("create with flags %#x" % flags, d.checkpointCreateXML,
                "<domaincheckpoint><name>f</name></domaincheckpoint>", flags)
    attempt("snapshot while checkpoints exist", d.snapshotCreateXML, "<domainsnapshot/>")
    if not (c1 and c2 and c3):
        d.destroy()
        d.undefine()
        return
    for flags in (0, C.VIR_DOMAIN_CHECKPOINT_XML_SECURE, C.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN,
                  C.VIR_DOMAIN_CHECKPOINT_XML_SIZE, 1 << 4):
        attempt("c3 getXMLDesc(%#x)" % flags, lambda: snapnorm(c3.getXMLDesc(flags)))
    attempt("c1 getName", c1.getName)
    attempt("c1 getParent", c1.getParent)
    attempt("c3 getParent", c3.getParent)
    attempt("c2 getParent(1)", c2.getParent, 1)
    attempt("c1 domain", lambda: c1.domain().name())
    attempt("c1 connect is the connection", lambda: c1.connect() is conn)
    attempt("lookup c2", d.checkpointLookupByName, "c2")
    attempt("lookup missing", d.checkpointLookupByName, "nope")
    attempt("lookup with flags", d.checkpointLookupByName, "c2", 1)
    L = C
    for flags in (0, L.VIR_DOMAIN_CHECKPOINT_LIST_ROOTS, L.VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL,
                  L.VIR_DOMAIN_CHECKPOINT_LIST_LEAVES, L.VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES,
                  L.VIR_DOMAIN_CHECKPOINT_LIST_LEAVES | L.VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES, 1 << 4):
        attempt("listAllCheckpoints(%#x)" % flags, d.listAllCheckpoints, flags, sort=True)
        attempt("c1 listAllChildren(%#x)" % flags, c1.listAllChildren, flags, sort=True)
    attempt("redefine c4 under c1", d.checkpointCreateXML,
            "<domaincheckpoint><name>c4</name><parent><name>c1</name></parent>"
            "<creationTime>1500000000</creationTime></domaincheckpoint>",
            C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE)
    attempt("redefine without creationTime", d.checkpointCreateXML,
            "<domaincheckpoint><name>c5</name></domaincheckpoint>", C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE)
    attempt("redefine with a missing parent", d.checkpointCreateXML,
            "<domaincheckpoint><name>c5</name><parent><name>zz</name></parent>"
            "<creationTime>1</creationTime></domaincheckpoint>", C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE)
    attempt("redefine c1 under c3 (a cycle)", d.checkpointCreateXML,
            "<domaincheckpoint><name>c1</name><parent><name>c3</name></parent>"
            "<creationTime>1</creationTime></domaincheckpoint>", C.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE)
    attempt("c1 listAllChildren(DESCENDANTS)", c1.listAllChildren, L.VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS,
            sort=True)
    ro = libvirt.openReadOnly(URI)
    rd = ro.lookupByName("pointed")
    attempt("read-only create", rd.checkpointCreateXML, "<domaincheckpoint/>")
    rc = rd.checkpointLookupByName("c2")
    attempt("read-only getXMLDesc(SECURE)", rc.getXMLDesc, C.VIR_DOMAIN_CHECKPOINT_XML_SECURE)
    attempt("read-only getXMLDesc", lambda: snapnorm(rc.getXMLDesc(C.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN)))
    attempt("read-only delete", rc.delete)
    del rc, rd
    ro.close()
    attempt("delete c2 (CHILDREN|CHILDREN_ONLY)", c2.delete,
            C.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN | C.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY)
    attempt("delete c2 (1 << 5)", c2.delete, 1 << 5)
    attempt("delete c2", c2.delete)
    attempt("c3 getParent after c2 went", lambda: c3.getParent().getName())
    attempt("c2 getName after deletion", c2.getName)
    attempt("c2 getXMLDesc after deletion", c2.getXMLDesc)
    attempt("delete c1 (CHILDREN_ONLY)", c1.delete, C.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY)
    attempt("listAllCheckpoints", d.listAllCheckpoints, sort=True)
    attempt("destroy", d.destroy)
    attempt("listAllCheckpoints while shut off", d.listAllCheckpoints, sort=True)
    attempt("undefine", d.undefine)
    attempt("c1 getName after undefine", c1.getName)
    attempt("c1 getXMLDesc after undefine", c1.getXMLDesc)
    del c1, c2, c3, d
    conn.close()


def undefine_flags():
    section("undefineFlags")
    conn = libvirt.open(URI)
    U = libvirt
    for flags in (0, U.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE, U.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
                  U.VIR_DOMAIN_UNDEFINE_NVRAM, U.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
                  U.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA, U.VIR_DOMAIN_UNDEFINE_TPM,
                  U.VIR_DOMAIN_UNDEFINE_KEEP_TPM, U.VIR_DOMAIN_UNDEFINE_NVRAM | U.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
                  U.VIR_DOMAIN_UNDEFINE_TPM | U.VIR_DOMAIN_UNDEFINE_KEEP_TPM, 1 << 12):
        d = conn.defineXML(domxml("undef", 701, DISK))
        attempt("undefineFlags(%#x)" % flags, d.undefineFlags, flags)
        attempt("  numOfDefinedDomains", conn.numOfDefinedDomains)
        if conn.numOfDefinedDomains():
            d.undefine()
    for what, xml in (("snapshot", "<domainsnapshot><name>u1</name></domainsnapshot>"),
                      ("checkpoint", "<domaincheckpoint><name>c1</name></domaincheckpoint>")):
        d = conn.defineXML(domxml("undef", 701, DISK))
        d.create()
        create = d.snapshotCreateXML if what == "snapshot" else d.checkpointCreateXML
        attempt("%s created" % what, create, xml, 0)
        attempt("and the other kind too", (d.checkpointCreateXML if what == "snapshot" else d.snapshotCreateXML),
                "<domaincheckpoint><name>c2</name></domaincheckpoint>" if what == "snapshot"
                else "<domainsnapshot><name>u2</name></domainsnapshot>", 0)
        attempt("destroy", d.destroy)
        for flags in (0, U.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA, U.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA):
            attempt("inactive with a %s: undefineFlags(%#x)" % (what, flags), d.undefineFlags, flags)
        attempt("  numOfDefinedDomains", conn.numOfDefinedDomains)
        if conn.numOfDefinedDomains():
            d.create()
            for flags in (0, U.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA):
                attempt("running with a %s: undefineFlags(%#x)" % (what, flags), d.undefineFlags, flags)
            status(d)
            attempt("destroy", d.destroy)
        attempt("lookupByName(undef)", conn.lookupByName, "undef")
    del d
    conn.close()


def scheduler():
    section("scheduler")
    conn = libvirt.open(URI)
    d = conn.defineXML(domxml("sched", 801))
    L, C = libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG

    def calls(state):
        attempt("%s: schedulerType" % state, d.schedulerType)
        attempt("%s: schedulerParameters" % state, d.schedulerParameters)
        for flags in (0, L, C, 1 << 5):
            attempt("%s: schedulerParametersFlags(%#x)" % (state, flags), d.schedulerParametersFlags, flags)
        for params in ({"weight": 100}, {"weight": 0}, {"weight": 2 ** 32 - 1}, {}, {"cap": 5},
                       {"weight": 10, "cap": 5}, {"weight": "heavy"}, {"weight": -5}):
            attempt("%s: setSchedulerParameters(%r)" % (state, params), d.setSchedulerParameters, params)
            attempt("  now", d.schedulerParameters)
        for flags in (0, L, C, L | C, 1 << 5):
            attempt("%s: setSchedulerParametersFlags(weight=%d, %#x)" % (state, 20 + flags, flags),
                    d.setSchedulerParametersFlags, {"weight": 20 + flags}, flags)
            attempt("  live/config", lambda: (d.schedulerParametersFlags(0), d.schedulerParametersFlags(C)))

    calls("inactive")
    d.create()
    calls("running")
    d.destroy()
    attempt("after destroy", lambda: (d.schedulerParametersFlags(0), d.schedulerParametersFlags(C)))
    d.undefine()
    del d
    conn.close()


def references():
    section("references: close() returns what is still held")
    conn = libvirt.open(URI)
    attempt("close with nothing else", conn.close)
    conn = libvirt.open(URI)
    d1 = conn.lookupByName("test")
    d2 = conn.lookupByID(1)
    attempt("two handles to one domain have equal UUIDs", lambda: d1.UUID() == d2.UUID())
    attempt("close with two domain handles alive", conn.close)
    attempt("the domain still works", d1.name)
    attempt("and its state", d1.state)
    attempt("connect()", d1.connect)
    del d1, d2
    conn = libvirt.open(URI)
    other = libvirt.open(URI)
    d = conn.lookupByName("test")
    s = conn.defineXML(domxml("refs", 901)).snapshotCreateXML("<domainsnapshot><name>r1</name></domainsnapshot>", 0)
    attempt("other connection sees the defined domain", lambda: other.lookupByName("refs").name())
    attempt("close(other)", other.close)
    attempt("close with a domain and a snapshot alive", conn.close)
    attempt("snapshot still usable", s.getName)
    attempt("snapshot's domain", lambda: s.getDomain().name())
    s.getDomain().undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
    del d, s
    conn = libvirt.open(URI)
    attempt("lookupByName(refs) after all that", conn.lookupByName, "refs")
    attempt("close", conn.close)
    attempt("close again", conn.close)


class Events:
    def __init__(self):
        self.seen = []
        self.marker = False
        self.expired = False

    def lifecycle(self, conn, dom, event, detail, opaque):
        self.seen.append("lifecycle[%s] %s event=%d detail=%d" % (opaque, dom.name(), event, detail))

    def old_style(self, conn, dom, event, detail, opaque):
        self.seen.append("domainEventRegister[%s] %s event=%d detail=%d" % (opaque, dom.name(), event, detail))

    def reboot(self, conn, dom, opaque):
        self.seen.append("reboot[%s] %s" % (opaque, dom.name()))

    def metadata(self, conn, dom, mtype, nsuri, opaque):
        self.seen.append("metadata-change[%s] %s type=%d nsuri=%r" % (opaque, dom.name(), mtype, nsuri))

    def generic(self, conn, dom, opaque):
        self.seen.append("generic[%s] %s" % (opaque, dom.name()))

    def _tick(self, timer, opaque):
        if opaque == "marker":
            self.marker = True
        else:
            self.expired = True

    def pump(self, expect, by_connection=False):
        """Runs the default loop until `expect` events came (or 2 s went by),
        then once more for any that should not have, and prints them (with
        `by_connection`, grouped by the callback's tag: two connections
        each get their events in order, but which connection's come first
        is up to the sockets, for libvirt's remote driver too)."""
        start = len(self.seen)
        self.expired = False
        timer = libvirt.virEventAddTimeout(2000, self._tick, "deadline")
        while len(self.seen) - start < expect and not self.expired:
            libvirt.virEventRunDefaultImpl()
        libvirt.virEventRemoveTimeout(timer)
        self.marker = False
        timer = libvirt.virEventAddTimeout(0, self._tick, "marker")
        while not self.marker:
            libvirt.virEventRunDefaultImpl()
        libvirt.virEventRemoveTimeout(timer)
        lines = self.seen[start:]
        if by_connection:
            lines = sorted(lines, key=lambda l: l.split("]")[0])
        for line in lines:
            out("    " + line)
        if len(self.seen) - start < expect:
            out("    (%d fewer than expected)" % (expect - len(self.seen) + start))


def events():
    section("events")
    ev = Events()
    conn = libvirt.open(URI)
    LC, RB = libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT
    ids = {}
    ids["lifecycle"] = attempt("domainEventRegisterAny(LIFECYCLE)", conn.domainEventRegisterAny, None, LC,
                               ev.lifecycle, "all")
    ids["reboot"] = attempt("domainEventRegisterAny(REBOOT)", conn.domainEventRegisterAny, None, RB, ev.reboot, "all")
    ids["metadata"] = attempt("domainEventRegisterAny(METADATA_CHANGE)", conn.domainEventRegisterAny, None,
                              libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, ev.metadata, "all")
    attempt("domainEventRegisterAny(unknown id 999)", conn.domainEventRegisterAny, None, 999, ev.generic, "x")
    attempt("domainEventRegister (old style)", conn.domainEventRegister, ev.old_style, "old")
    ev.pump(0)

    d = attempt("defineXML", conn.defineXML, domxml("evt", 1001, extra="<on_reboot>restart</on_reboot>"))
    ev.pump(2)
    ids["one domain"] = attempt("domainEventRegisterAny(LIFECYCLE, evt only)", conn.domainEventRegisterAny, d, LC,
                                ev.lifecycle, "evt")
    steps = [
        ("create", lambda: d.create(), 3),
        ("suspend", lambda: d.suspend(), 3),
        ("resume", lambda: d.resume(), 3),
        ("reboot", lambda: d.reboot(0), 0),
        ("reset", lambda: d.reset(0), 0),
        ("setMemory", lambda: d.setMemory(32768), 0),
        ("setMetadata", lambda: d.setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, "hello", None, None, 0), 1),
        ("setMetadata(title, CONFIG)", lambda: d.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, "t", None, None,
                                                             libvirt.VIR_DOMAIN_AFFECT_CONFIG), 1),
        ("snapshotCreateXML", lambda: d.snapshotCreateXML("<domainsnapshot><name>e1</name></domainsnapshot>", 0), 0),
        ("revertToSnapshot", lambda: d.revertToSnapshot(d.snapshotLookupByName("e1"), 0), 6),
        ("shutdown", lambda: d.shutdown(), 3),
        ("createWithFlags(PAUSED) (not supported by the test driver)",
         lambda: d.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED), 0),
        ("destroy while shut off", lambda: d.destroy(), 0),
        ("create", lambda: d.create(), 3),
        ("managedSave", lambda: d.managedSave(), 3),
        ("create (from the managed save)", lambda: d.create(), 3),
        ("save", lambda: d.save(os.path.join(TMP, "evt.img")), 3),
        ("restore", lambda: conn.restore(os.path.join(TMP, "evt.img")), 3),
        ("defineXML (update)", lambda: conn.defineXML(domxml("evt", 1001, memory=131072)), 3),
        ("undefine while running", lambda: d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA), 3),
        ("destroy", lambda: d.destroy(), 3),
    ]
    for label, f, expect in steps:
        attempt(label, f)
        ev.pump(expect)
    t = attempt("createXML (transient)", conn.createXML, domxml("evt2", 1002), 0)
    ev.pump(2)
    attempt("createXML(PAUSED) (not supported by the test driver)", conn.createXML, domxml("evt3", 1003),
            libvirt.VIR_DOMAIN_START_PAUSED)
    ev.pump(0)
    attempt("createXML evt3", conn.createXML, domxml("evt3", 1003), 0)
    ev.pump(2)
    attempt("suspend evt3", lambda: conn.lookupByName("evt3").suspend())
    ev.pump(2)
    attempt("destroy evt3", lambda: conn.lookupByName("evt3").destroy())
    ev.pump(2)
    attempt("define evt4 and undefine it", lambda: conn.defineXML(domxml("evt4", 1004)).undefine())
    ev.pump(4)
    attempt("shutdown evt2", t.shutdown)
    ev.pump(2)

    for key in ("one domain", "reboot", "metadata"):
        attempt("domainEventDeregisterAny(%s)" % key, conn.domainEventDeregisterAny, ids[key])
    attempt("domainEventDeregisterAny(same again)", conn.domainEventDeregisterAny, ids["reboot"])
    attempt("domainEventDeregisterAny(12345)", conn.domainEventDeregisterAny, 12345)
    attempt("domainEventDeregister (old style)", conn.domainEventDeregister, ev.old_style)
    attempt("domainEventDeregister again", conn.domainEventDeregister, ev.old_style)
    d = conn.defineXML(domxml("evt5", 1005))
    attempt("create evt5 (one callback left)", d.create)
    ev.pump(2)
    attempt("domainEventDeregisterAny(lifecycle)", conn.domainEventDeregisterAny, ids["lifecycle"])
    attempt("destroy evt5 (no callbacks)", d.destroy)
    ev.pump(0)
    d.undefine()
    del d, t
    conn.close()

    section("events on a second connection and a node-file connection")
    a = libvirt.open(URI)
    b = libvirt.open(URI)
    a.domainEventRegisterAny(None, LC, ev.lifecycle, "conn-a")
    b.domainEventRegisterAny(None, LC, ev.lifecycle, "conn-b")
    dd = b.defineXML(domxml("shared", 1006))
    ev.pump(2, by_connection=True)
    dd.undefine()
    ev.pump(2, by_connection=True)
    n = libvirt.open("test://" + fleet_node())
    n.domainEventRegisterAny(None, LC, ev.lifecycle, "node")
    n.lookupByName("paused").resume()
    ev.pump(1)
    n.lookupByName("running").destroy()
    ev.pump(1)
    del dd
    for c in (a, b, n):
        c.close()


def read_only():
    section("read-only connection refuses writes")
    ro = libvirt.openReadOnly(URI)
    d = ro.lookupByName("test")
    calls = [
        ("defineXML", ro.defineXML, domxml("ro", 1101)),
        ("defineXMLFlags", ro.defineXMLFlags, domxml("ro", 1101), 0),
        ("createXML", ro.createXML, domxml("ro", 1101), 0),
        ("restore", ro.restore, os.path.join(TMP, "x.img")),
        ("create", d.create),
        ("createWithFlags", d.createWithFlags, 0),
        ("suspend", d.suspend),
        ("resume", d.resume),
        ("shutdown", d.shutdown),
        ("shutdownFlags", d.shutdownFlags, 0),
        ("reboot", d.reboot, 0),
        ("reset", d.reset, 0),
        ("destroy", d.destroy),
        ("destroyFlags", d.destroyFlags, 0),
        ("undefine", d.undefine),
        ("undefineFlags", d.undefineFlags, 0),
        ("setAutostart", d.setAutostart, 1),
        ("setMemory", d.setMemory, 1024),
        ("setMaxMemory", d.setMaxMemory, 1024),
        ("setMemoryFlags", d.setMemoryFlags, 1024, 0),
        ("setVcpus", d.setVcpus, 1),
        ("setVcpusFlags", d.setVcpusFlags, 1, 0),
        ("managedSave", d.managedSave),
        ("managedSaveRemove", d.managedSaveRemove),
        ("save", d.save, os.path.join(TMP, "x.img")),
        ("snapshotCreateXML", d.snapshotCreateXML, "<domainsnapshot/>", 0),
        ("setSchedulerParameters", d.setSchedulerParameters, {"weight": 1}),
        ("setSchedulerParametersFlags", d.setSchedulerParametersFlags, {"weight": 1}, 0),
        ("setMetadata", d.setMetadata, libvirt.VIR_DOMAIN_METADATA_TITLE, "x", None, None, 0),
        ("XMLDesc(SECURE)", d.XMLDesc, libvirt.VIR_DOMAIN_XML_SECURE),
        ("XMLDesc(MIGRATABLE)", d.XMLDesc, libvirt.VIR_DOMAIN_XML_MIGRATABLE),
    ]
    for label, f, *args in calls:
        attempt("read-only " + label, f, *args)
    for name in ("name", "ID", "UUIDString", "state", "isActive", "isPersistent", "autostart", "maxMemory",
                 "maxVcpus", "schedulerType", "hasManagedSaveImage", "snapshotNum", "hasCurrentSnapshot"):
        attempt("read-only " + name, getattr(d, name))
    attempt("read-only info()[:4]", lambda: d.info()[:4])
    attempt("read-only vcpusFlags", d.vcpusFlags, 0)
    attempt("read-only numOfDomains", ro.numOfDomains)
    attempt("read-only listAllDomains", ro.listAllDomains, 0, sort=True)
    ev = Events()
    attempt("read-only domainEventRegisterAny", ro.domainEventRegisterAny, None,
            libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, ev.lifecycle, "ro")
    del d
    ro.close()


def misuse():
    section("invalid arguments through the binding")
    conn = libvirt.open(URI)
    d = conn.lookupByName("test")
    attempt("setMemory(-1)", d.setMemory, -1)
    attempt("setMemory(2**64)", d.setMemory, 2 ** 64)
    attempt("setVcpus(2**33)", d.setVcpus, 2 ** 33)
    attempt("lookupByID('1')", conn.lookupByID, "1")
    attempt("lookupByName(1)", conn.lookupByName, 1)
    attempt("lookupByUUIDString(b'bytes')", conn.lookupByUUIDString, b"6695eb01-f6a4-8304-79aa-97f2502e193f")
    attempt("XMLDesc(-1)", d.XMLDesc, -1)
    attempt("listAllDomains(-1)", conn.listAllDomains, -1)
    attempt("createWithFlags(-1)", d.createWithFlags, -1)
    attempt("snapshotLookupByName('')", d.snapshotLookupByName, "")
    attempt("revertToSnapshot(None)", d.revertToSnapshot, None)
    attempt("setSchedulerParameters({'nosuch': 1})", d.setSchedulerParameters, {"nosuch": 1})
    attempt("defineXML(' ')", conn.defineXML, " ")
    attempt("defineXML(5000-character name)", lambda: len(conn.defineXML(domxml("n" * 5000, 1201)).name()))
    big = conn.lookupByName("n" * 5000) if conn.numOfDefinedDomains() else None
    if big is not None:
        attempt("undefine big", big.undefine)
    attempt("name with unicode", lambda: conn.defineXML(domxml("gäst-ü", 1202)).name())
    attempt("lookupByName(unicode)", lambda: conn.lookupByName("gäst-ü").undefine())
    attempt("name with XML escapes", lambda: conn.defineXML(domxml("a&amp;b&lt;c", 1203)).name())
    attempt("its XML", lambda: re.findall("<name>.*</name>", conn.lookupByName("a&b<c").XMLDesc(0)))
    attempt("undefine", lambda: conn.lookupByName("a&b<c").undefine())
    del d
    conn.close()


def memory_tunables():
    section("memory tunables and the host's free memory")
    conn = libvirt.open(URI)
    attempt("getFreeMemory", conn.getFreeMemory)
    attempt("getFreeMemory (node file)", lambda: libvirt.open("test://" + fleet_node()).getFreeMemory())
    for start, most in ((0, 2), (1, 5), (0, 1), (1, 1), (2, 1), (-1, 1), (0, 0), (0, -1)):
        attempt("getCellsFreeMemory(%d, %d)" % (start, most), conn.getCellsFreeMemory, start, most)
    attempt("getCellsFreeMemory (node file)",
            lambda: libvirt.open("test://" + fleet_node()).getCellsFreeMemory(0, 1))
    d = conn.lookupByName("test")
    for flags in (0, libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG, 3, 4, 8):
        attempt("memoryParameters(%d)" % flags, d.memoryParameters, flags, sort=True)
    steps = [({"hard_limit": 4000000}, 0), ({"soft_limit": 5000000}, 0), ({"swap_hard_limit": 100}, 0),
             ({"swap_hard_limit": 6000000}, 0), ({"hard_limit": 7000000}, 0),
             ({"hard_limit": 1000, "soft_limit": 500}, libvirt.VIR_DOMAIN_AFFECT_CONFIG),
             ({"hard_limit": 2 ** 60}, 0), ({"hard_limit": 5}, 3), ({"hard_limit": 5}, 8),
             ({"min_guarantee": 5}, 0)]
    for params, flags in steps:
        attempt("setMemoryParameters(%s, %d)" % (sorted(params.items()), flags), d.setMemoryParameters, params, flags)
        attempt("  live", d.memoryParameters, libvirt.VIR_DOMAIN_AFFECT_LIVE, sort=True)
        attempt("  config", d.memoryParameters, libvirt.VIR_DOMAIN_AFFECT_CONFIG, sort=True)
    attempt("memtune in XML", lambda: re.findall("<memtune>.*</memtune>", d.XMLDesc(0).replace("\n", "")))
    off = conn.defineXML(domxml("tunables-off", 1301))
    attempt("inactive memoryParameters", off.memoryParameters, 0, sort=True)
    attempt("inactive memoryParameters(LIVE)", off.memoryParameters, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    attempt("inactive setMemoryParameters", off.setMemoryParameters, {"hard_limit": 5000}, 0)
    attempt("inactive setMemoryParameters(LIVE)", off.setMemoryParameters, {"hard_limit": 5000},
            libvirt.VIR_DOMAIN_AFFECT_LIVE)
    attempt("inactive memoryParameters after", off.memoryParameters, 0, sort=True)
    off.undefine()
    del d, off
    conn.close()


def interface_addresses():
    section("interface addresses the test driver makes up")
    conn = libvirt.open(URI)
    conn.networkCreateXML("<network><name>wide</name><bridge name='virbr9'/><ip address='10.1.2.1' "
                          "netmask='255.255.0.0'><dhcp><range start='10.1.2.100' end='10.1.2.200'/></dhcp></ip></network>")
    conn.networkCreateXML("<network><name>plain</name><bridge name='virbr8'/><ip address='10.9.0.1' prefix='16'/>"
                          "</network>")
    conn.networkCreateXML("<network><name>six</name><bridge name='virbr7'/><ip family='ipv6' address='2001:db8::1' "
                          "prefix='64'/></network>")
    d = conn.lookupByName("test")
    for source in (0, 1, 2, 3):
        attempt("interfaceAddresses(%d)" % source, d.interfaceAddresses, source)
    attempt("interfaceAddresses(flags=1)", d.interfaceAddresses, 0, 1)

    def nic(kind, mac, extra):
        return "<interface type='%s'><mac address='52:54:00:00:00:%02x'/>%s</interface>" % (kind, mac, extra)
    nics = [nic("network", 1, "<source network='wide'/><target dev='vnet7'/>"), nic("user", 2, ""),
            nic("bridge", 3, "<source bridge='br0'/><target dev='tap3'/>"), nic("network", 4, "<source network='plain'/>"),
            nic("ethernet", 5, ""), nic("network", 6, "<source network='default'/>"),
            nic("network", 7, "<source network='six'/>")]
    for i in range(3):
        conn.createXML(domxml("pad%d" % i, 1400 + i), 0)
    g = conn.createXML(domxml("many-nics", 1410, extra="<devices>%s</devices>" % "".join(nics)), 0)
    attempt("id", g.ID)
    attempt("target devs", lambda: re.findall("<target dev=[^>]*>", g.XMLDesc(0)))
    attempt("interfaceAddresses", g.interfaceAddresses, 0)
    attempt("missing network", conn.createXML,
            domxml("lost", 1411, extra="<devices>%s</devices>" % nic("network", 8, "<source network='nowhere'/>")), 0)
    g.destroy()
    attempt("inactive", d.interfaceAddresses, 0) if d.destroy() == 0 else None
    ro = libvirt.openReadOnly(URI).lookupByName("test")
    for source in (0, 1, 2):
        attempt("read-only interfaceAddresses(%d)" % source, ro.interfaceAddresses, source)
    del d, g, ro
    conn.close()


def domain_stats():
    section("domain statistics (the test driver reports states)")
    conn = libvirt.open(URI)
    other = libvirt.open(URI)
    paused = conn.createXML(domxml("stats-paused", 1501), 0)
    paused.suspend()
    conn.defineXML(domxml("stats-off", 1502))

    def records(f, *args):
        return sorted((d.name(), sorted(s.items())) for d, s in f(*args))
    flags = {"ACTIVE": 1, "INACTIVE": 2, "PERSISTENT": 4, "TRANSIENT": 8, "RUNNING": 16, "PAUSED": 32,
             "SHUTOFF": 64, "OTHER": 128, "ACTIVE|INACTIVE": 3, "NOWAIT": 1 << 29, "BACKING": 1 << 30,
             "unknown": 1 << 20}
    attempt("getAllDomainStats()", records, conn.getAllDomainStats, 0, 0)
    for name, value in flags.items():
        attempt("getAllDomainStats(%s)" % name, records, conn.getAllDomainStats, 0, value)
    for stats in (1, 2, 4, 8, 2048, 1 << 20):
        attempt("getAllDomainStats(stats=%#x)" % stats, records, conn.getAllDomainStats, stats, 0)
        attempt("getAllDomainStats(stats=%#x, ENFORCE)" % stats, records, conn.getAllDomainStats, stats, 1 << 31)
    test = conn.lookupByName("test")
    attempt("domainListGetStats", records, conn.domainListGetStats, [test, conn.lookupByName("stats-off")], 0, 0)
    attempt("domainListGetStats([])", records, conn.domainListGetStats, [], 0, 0)
    attempt("domainListGetStats(two connections)", records, conn.domainListGetStats,
            [test, other.lookupByName("test")], 0, 0)
    attempt("domainListGetStats(ACTIVE)", records, conn.domainListGetStats, [test], 0, 1)
    attempt("domainListGetStats(ENFORCE, balloon)", records, conn.domainListGetStats, [test], 4, 1 << 31)
    ro = libvirt.openReadOnly(URI)
    attempt("read-only getAllDomainStats", records, ro.getAllDomainStats, 0, 0)
    paused.destroy()
    conn.lookupByName("stats-off").undefine()
    del paused, test
    for c in (ro, other, conn):
        c.close()


def png_summary(data):
    """Whether `data` is a PNG whose image data inflates, and its colour type
    (the pictures themselves differ between libraries)."""
    import struct
    import zlib
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            return "bad CRC in " + kind.decode()
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    width, height, depth, colour = ihdr
    raw = zlib.decompress(idat)
    return "PNG, %d-bit, image data %s" % (depth, "complete" if len(raw) >= height else "short")


def screenshots():
    section("screenshots through streams")
    conn = libvirt.open(URI)
    d = conn.lookupByName("test")
    st = conn.newStream(0)
    attempt("recv before anything", st.recv, 16)
    attempt("finish before anything", st.finish)
    attempt("abort before anything", st.abort)
    st = conn.newStream(0)
    attempt("screenshot", d.screenshot, st, 0, 0)
    chunks = []
    while True:
        piece = st.recv(1000)
        if not piece:
            break
        chunks.append(piece)
    attempt("received", lambda: png_summary(b"".join(chunks)))
    attempt("recv at the end", st.recv, 16)
    attempt("send", st.send, b"x")
    attempt("finish", st.finish)
    attempt("recv after finish", st.recv, 16)
    attempt("finish again", st.finish)
    # Through a daemon, libvirt's non-blocking streams only move data while
    # an event loop runs, so there the stream blocks.
    st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK if URI.startswith("test:///") else 0)
    attempt("screenshot of screen 1", d.screenshot, st, 1, 0)
    attempt("recvAll", lambda: png_summary(b"".join(_recv_all(st))))
    attempt("abort", st.abort)
    attempt("recv after abort", st.recv, 16)
    attempt("screenshot flags=1", d.screenshot, conn.newStream(0), 0, 1)
    attempt("stream of another connection", d.screenshot, libvirt.open(URI).newStream(0), 0, 0)
    ro = libvirt.openReadOnly(URI)
    attempt("read-only screenshot", ro.lookupByName("test").screenshot, ro.newStream(0), 0, 0)
    d.destroy()
    # Every stream ends before the connection closes: a daemon keeps the
    # connection's driver state while one of its streams is open.
    st = conn.newStream(0)
    attempt("screenshot of an inactive domain", d.screenshot, st, 0, 0)
    attempt("abort it", st.abort)
    del d
    conn.close()


def _recv_all(st):
    out = []
    st.recvAll(lambda stream, data, acc: acc.append(data) or 0, out)
    return out


def migration():
    section("migration between two connections (the test driver has none)")
    conn = libvirt.open(URI)
    dconn = libvirt.open(URI)
    ro = libvirt.openReadOnly(URI)
    d = conn.lookupByName("test")
    flag_sets = [0, libvirt.VIR_MIGRATE_LIVE, libvirt.VIR_MIGRATE_PEER2PEER, libvirt.VIR_MIGRATE_TUNNELLED,
                 libvirt.VIR_MIGRATE_TUNNELLED | libvirt.VIR_MIGRATE_PEER2PEER, libvirt.VIR_MIGRATE_OFFLINE,
                 libvirt.VIR_MIGRATE_NON_SHARED_DISK | libvirt.VIR_MIGRATE_NON_SHARED_INC,
                 libvirt.VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES, 1 << 30]
    for flags in flag_sets:
        attempt("migrate(flags=%#x)" % flags, d.migrate, dconn, flags, None, None, 0)
        attempt("migrate2(flags=%#x)" % flags, d.migrate2, dconn, None, flags, None, None, 0)
    attempt("migrate(uri, dname)", d.migrate, dconn, 0, "other", "test:///default", 0)
    attempt("migrate2(dxml)", d.migrate2, dconn, "<domain/>", 0, None, None, 0)
    attempt("migrate(to read-only)", d.migrate, ro, 0, None, None, 0)
    attempt("migrate(from read-only)", ro.lookupByName("test").migrate, dconn, 0, None, None, 0)
    del d
    for c in (ro, dconn, conn):
        c.close()


SECTIONS = [lookups, properties, listing, creation, transitions, memory_and_vcpus, saving, snapshots, checkpoints,
            undefine_flags, scheduler, references, events, read_only, misuse, memory_tunables, interface_addresses, screenshots, domain_stats, migration]


def main():
    chosen = sys.argv[1:]
    unknown = set(chosen) - {f.__name__ for f in SECTIONS}
    if unknown:
        sys.exit("unknown sections: %s (known: %s)" % (sorted(unknown), " ".join(f.__name__ for f in SECTIONS)))
    try:
        for f in SECTIONS:
            if not chosen or f.__name__ in chosen:
                # A section stops at its first unexpected error (one that libvirt
                # does not raise); the next one still runs.
                try:
                    f()
                except Exception as e:
                    out("!! section %s stopped: %s" % (f.__name__, error_text(e)))
                sys.stdout.flush()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    # The default connection's state is shared by every connection of the
    # process: what is left at the end shows every section cleaned up after itself.
    section("left over on test:///default")
    try:
        conn = libvirt.open(URI)
        for d in sorted(conn.listAllDomains(0), key=lambda d: d.name()):
            status(d)
        conn.close()
    except libvirt.libvirtError as e:
        out("!! " + error_text(e))


main()
