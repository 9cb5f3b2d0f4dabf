#!/usr/bin/env python3
"""The Xen driver end to end through Debian's python3-libvirt on our staged
library, against the XenD test server (libvirt 9.0 has no XenD driver, so
there is no oracle: every result is checked against the server's state).

usage: run_xend.py STAGE_DIR          (the parent: starts servers, runs the child)
       run_xend.py --child SOCKET     (the checks, run with our library loaded)
"""
import os
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEXPRS = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "sexpr2xml")

GUEST = """<domain type='xen'>
  <name>pyguest</name>
  <uuid>8f07fe28-753f-2729-d76d-bdbd892f949a</uuid>
  <os>
    <type>linux</type>
    <kernel>/var/lib/xen/install/vmlinuz-fedora8-x86_64</kernel>
    <initrd>/var/lib/xen/install/initrd-vmlinuz-fedora8-x86_64</initrd>
  </os>
  <memory>262144</memory>
  <vcpu>2</vcpu>
  <devices>
    <disk type='file'>
      <source file='/var/lib/xen/images/pyguest.img'/>
      <target dev='xvda'/>
    </disk>
  </devices>
</domain>
"""

checks = 0


def check(cond, what):
    global checks
    if not cond:
        sys.exit("run_xend: FAILED: " + what)
    checks += 1


def raw(sock, method, path, body=""):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(("%s %s HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: %d\r\n\r\n%s" % (method, path, len(body), body)).encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    head, _, rest = out.decode().partition("\r\n\r\n")
    return int(head.split()[1]), rest


def server_state(sock):
    state = {}
    for line in raw(sock, "GET", "/xend-test/state")[1].splitlines():
        f = line.split()
        state[f[0]] = {"domid": int(f[1]), "state": f[2], "memory": int(f[3]), "maxmem": int(f[4]),
                       "vcpus": int(f[5]), "online": int(f[6]), "managed": f[7] == "1"}
    return state


def child(sock, virt_native, config_dir):
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import mapped
    import libvirt
    mapped.check()
    libvirt.registerErrorHandler(lambda *a: None, None)
    check(mapped.loaded_from().startswith(os.environ["EXPECT_LIBVIRT_DIR"]), "our library is loaded")
    conn = libvirt.open("xen:///")
    check(conn.getType() == "Xen", "type")
    check(conn.getVersion() == 4001002, "version %d" % conn.getVersion())
    check(conn.getHostname() == "xenhost.example.com", "hostname")
    info = conn.getInfo()
    check(info[:4] == ["x86_64", 8191, 4, 2394], "node info %r" % info)
    check("<os_type>hvm</os_type>" in conn.getCapabilities(), "capabilities")

    state = server_state(sock)
    doms = conn.listAllDomains()
    check(sorted(d.name() for d in doms) == sorted(state), "listAllDomains")
    check(sorted(conn.listDomainsID()) == sorted(s["domid"] for s in state.values()), "listDomainsID")
    for d in doms:
        s = state[d.name()]
        check(d.ID() == s["domid"], "id of " + d.name())
        st, maxmem, mem, vcpus, _ = d.info()
        check((maxmem, mem, vcpus) == (s["maxmem"] * 1024, s["memory"] * 1024, s["online"]), "info of " + d.name())
        check(conn.lookupByID(s["domid"]).name() == d.name(), "lookupByID")
        check(conn.lookupByUUIDString(d.UUIDString()).name() == d.name(), "lookupByUUID")
        if d.name() != "Domain-0":
            # The XML is what the sxpr converter (virt-native) makes of XenD's document.
            status, text = raw(sock, "GET", "/xend/domain/%s?detail=1" % d.name())
            with tempfile.NamedTemporaryFile("w", suffix=".sexpr") as f:
                f.write(text)
                f.flush()
                want = subprocess.run([virt_native, "from", "xen-sxpr", f.name], check=True,
                                      capture_output=True, text=True).stdout
            check(d.XMLDesc(0) + "\n" == want or d.XMLDesc(0) == want, "XML of " + d.name())
    try:
        conn.lookupByName("nosuch")
        check(False, "lookup of a missing domain fails")
    except libvirt.libvirtError as e:
        check(e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, "no domain error code")

    dom = conn.defineXML(GUEST)
    check(server_state(sock)["pyguest"]["state"] == "shutoff", "defined shut off")
    check(server_state(sock)["pyguest"]["managed"], "defined through op=new")
    check("pyguest" in conn.listDefinedDomains(), "listDefinedDomains")
    dom.create()
    check(server_state(sock)["pyguest"]["state"] == "running", "started")
    check(dom.isActive() == 1 and dom.ID() == server_state(sock)["pyguest"]["domid"], "active with its id")
    dom.suspend()
    check(server_state(sock)["pyguest"]["state"] == "paused", "suspended")
    check(dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED, "state paused")
    dom.resume()
    check(server_state(sock)["pyguest"]["state"] == "running", "resumed")
    dom.setMemory(200 * 1024)
    check(server_state(sock)["pyguest"]["memory"] == 200, "memory set")
    dom.setVcpus(1)
    check(server_state(sock)["pyguest"]["online"] == 1, "vcpus set")
    check(dom.vcpusFlags(libvirt.VIR_DOMAIN_VCPU_MAXIMUM) == 2, "max vcpus")
    dom.setAutostart(1)
    check(dom.autostart() == 1, "autostart")
    dom.shutdown()
    check(server_state(sock)["pyguest"]["state"] == "shutoff", "shut down")
    dom.undefine()
    check("pyguest" not in server_state(sock), "undefined")

    xm = conn.domainXMLToNative("xen-xm", GUEST, 0)
    check('name = "pyguest"' in xm, "to xen-xm")
    back = conn.domainXMLFromNative("xen-xm", xm, 0)
    check(conn.domainXMLFromNative("xen-xm", conn.domainXMLToNative("xen-xm", back, 0), 0) == back,
          "xen-xm round trip")
    sx = conn.domainXMLToNative("xen-sxpr", GUEST, 0)
    check(sx.startswith("(vm "), "to xen-sxpr")
    xl = conn.domainXMLToNative("xen-xl", GUEST, 0)
    check("pyguest" in conn.domainXMLFromNative("xen-xl", xl, 0), "xen-xl round trip")
    try:
        conn.domainXMLFromNative("xen-xm", 'name = "x"\nmemory = (\n', 0)
        check(False, "a broken config fails")
    except libvirt.libvirtError as e:
        check("conf:2:" in e.get_error_message(), "the error names the line: " + e.get_error_message())
    conn.close()

    # An old XenD: inactive domains are xm config files.
    os.environ["LIBVIRT_XEND_SOCKET"] = sock + "-old"
    with open(os.path.join(config_dir, "cfgguest"), "w") as f:
        f.write('name = "cfgguest"\nuuid = "8f07fe28-753f-2729-d76d-bdbd892f949b"\nmemory = 128\n'
                'kernel = "/boot/vmlinuz"\n')
    for junk in (".hidden", "cfgguest~", "cfgguest.rpmsave", "broken"):
        with open(os.path.join(config_dir, junk), "w") as f:
            f.write('name = "%s"\nmemory = (\n' % junk if junk == "broken" else 'name = "junk"\nmemory = 64\n')
    os.makedirs(os.path.join(config_dir, "auto"), exist_ok=True)
    old = libvirt.open("xen:///")
    check(old.listDefinedDomains() == ["cfgguest"], "config dir listing %r" % old.listDefinedDomains())
    d = old.lookupByName("cfgguest")
    d.create()
    check(server_state(sock + "-old")["cfgguest"]["state"] == "running", "started from its config file")
    d.destroy()
    check("cfgguest" not in server_state(sock + "-old"), "a transient run ends")
    g = old.defineXML(GUEST)
    check(os.path.exists(os.path.join(config_dir, "pyguest")), "define writes a config file")
    g.undefine()
    check(not os.path.exists(os.path.join(config_dir, "pyguest")), "undefine removes it")
    old.close()
    print("run_xend: python3-libvirt on our library drove xen:/// through %d checks against the XenD test server"
          % checks)


def start_server(sock, *args):
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "xend_server.py"), "--socket", sock] + list(args),
                            stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        sys.exit("run_xend: the XenD test server did not start")
    return proc


def main():
    if sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3], sys.argv[4])
    stage = os.path.abspath(sys.argv[1])
    lib = os.path.join(stage, "lib")
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "xend-socket")
        config_dir = os.path.join(tmp, "etc-xen")
        os.mkdir(config_dir)
        servers = [
            start_server(sock, "--domain", os.path.join(SEXPRS, "sexpr2xml-pv.sexpr"),
                         "--domain", os.path.join(SEXPRS, "sexpr2xml-fv.sexpr")),
            start_server(sock + "-old", "--xen-version", "3.0.3", "--config-format", "2"),
        ]
        env = dict(os.environ, LD_LIBRARY_PATH=lib, EXPECT_LIBVIRT_DIR=lib, LIBVIRT_XEND_SOCKET=sock,
                   LIBVIRT_XEN_CONFIG_DIR=config_dir)
        env.pop("LIBVIRT_XEND_HTTP", None)
        env.pop("LIBVIRT_DEFAULT_URI", None)
        try:
            status = subprocess.call(["/usr/bin/python3", os.path.abspath(__file__), "--child", sock,
                                      os.path.join(stage, "bin", "virt-native"), config_dir], env=env)
        finally:
            for p in servers:
                p.terminate()
                p.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
