"""Networks, host interfaces, storage pools and volumes through Debian's
unmodified python3-libvirt, as a transcript.

run_transcript.py runs this once on Debian's libvirt (the reference) and once on
our library, and requires identical output.  With EXPECT_LIBVIRT_DIR set, the
script first proves (through /proc/self/maps) that the libvirt.so.0 in that
directory is the one the binding loaded.

Everything printed is deterministic: libvirt returns lists in hash-table
order, so lists are sorted; definitions carry fixed UUIDs where they are
printed (libvirt makes up random ones otherwise), and generated UUIDs are
replaced by a placeholder; paths under the private temporary directory print
as $TMP.

usage: netstore.py [SECTION...]     (all sections by default)
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

TMP = tempfile.mkdtemp(prefix="netstore-")
libvirt.registerErrorHandler(lambda ctx, err: None, None)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIXED = re.compile(r"11111111-2222-3333-4444-[0-9a-f]{12}|dd8fe884-6c02-601e-7551-cca97df1c5df|"
                   r"dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566")


def norm(text):
    """Generated UUIDs become <uuid>; the fixed ones of this script stay."""
    text = text.replace(TMP, "$TMP")
    return UUID.sub(lambda m: m.group(0) if FIXED.fullmatch(m.group(0)) else "<uuid>", text)


def show(r, sort=False):
    if isinstance(r, libvirt.virNetwork):
        return "<network %s>" % r.name()
    if isinstance(r, libvirt.virInterface):
        return "<interface %s %s>" % (r.name(), r.MACString())
    if isinstance(r, libvirt.virStoragePool):
        return "<pool %s>" % r.name()
    if isinstance(r, libvirt.virStorageVol):
        return "<vol %s>" % r.name()
    if isinstance(r, libvirt.virConnect):
        return "<connection>"
    if isinstance(r, bytes):
        return "bytes(%s)" % r.hex()
    if isinstance(r, (list, tuple)):
        items = [show(x) for x in r]
        if sort:
            items.sort()
        return ("[%s]" if isinstance(r, list) else "(%s)") % ", ".join(items)
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


def attempt(label, f, *args, sort=False):
    """Calls f(*args) and prints its result or its error; returns the result (None on error)."""
    try:
        r = f(*args)
    except Exception as e:  # libvirtError, or the binding's own argument checks
        out("%s -> %s" % (label, error_text(e)))
        return None
    out("%s -> %s" % (label, show(r, sort)))
    return r


def section(name):
    print()
    print("== " + name)


def net_status(n):
    attempt("  %s active/persistent/autostart" % n.name(),
            lambda: (n.isActive(), n.isPersistent(), n.autostart()))


def pool_status(p):
    attempt("  %s active/persistent/autostart/info" % p.name(),
            lambda: (p.isActive(), p.isPersistent(), p.autostart(), p.info()))


def net_lists(conn):
    attempt("  listNetworks", conn.listNetworks, sort=True)
    attempt("  listDefinedNetworks", conn.listDefinedNetworks, sort=True)
    attempt("  numOfNetworks/numOfDefinedNetworks", lambda: (conn.numOfNetworks(), conn.numOfDefinedNetworks()))


def pool_lists(conn):
    attempt("  listStoragePools", conn.listStoragePools, sort=True)
    attempt("  listDefinedStoragePools", conn.listDefinedStoragePools, sort=True)
    attempt("  numOf(Defined)StoragePools",
            lambda: (conn.numOfStoragePools(), conn.numOfDefinedStoragePools()))


# --------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------

NETWORKS = [
    "<network><name>n1</name><uuid>11111111-2222-3333-4444-000000000001</uuid></network>",
    "<network><name>n2</name><uuid>11111111-2222-3333-4444-000000000002</uuid>"
    "<domain name='example.com' localOnly='yes'/><bridge name='br5' stp='off' delay='3'/>"
    "<mac address='52:54:00:11:22:33'/><forward mode='route' dev='eth0'/>"
    "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.9'/>"
    "<host mac='52:54:00:aa:bb:cc' name='h1' ip='10.0.0.5'/></dhcp></ip>"
    "<ip family='ipv6' address='2001:db8::1' prefix='64'/></network>",
    "<network><name>n3</name><uuid>11111111-2222-3333-4444-000000000003</uuid>"
    "<forward mode='bridge'><interface dev='eth1'/><interface dev='eth2'/></forward></network>",
    "<network><name>n4</name><uuid>11111111-2222-3333-4444-000000000004</uuid><forward mode='bridge'/>"
    "<bridge name='br0'/><virtualport type='openvswitch'/><portgroup name='a'/>"
    "<portgroup name='b' default='yes'/><portgroup name='c' default='maybe'/></network>",
    "<network ipv6='yes' trustGuestRxFilters='no'><name>n5</name>"
    "<uuid>11111111-2222-3333-4444-000000000005</uuid><bridge name='b' stp='maybe'/><mtu size='9000'/>"
    "<ip address='10.1.0.1' netmask='255.255.0.0'><tftp root='/srv/tftp'/></ip>"
    "<ip address='10.2.0.1'/></network>",
    "<network><name>n6</name><uuid>11111111-2222-3333-4444-000000000006</uuid>"
    "<forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward><bridge name='x' stp='on'/>"
    "<ip address='10.0.0.1' prefix='24'/></network>",
    "<network><name>n7</name><uuid>11111111-2222-3333-4444-000000000007</uuid><forward mode='hostdev'/></network>",
    "<network><name>n8</name><uuid>11111111-2222-3333-4444-000000000008</uuid>"
    "<forward mode='passthrough'><interface dev='a'/></forward></network>",
    "<network><name>n9</name><uuid>11111111-2222-3333-4444-000000000009</uuid>"
    "<forward mode='open'/><ip address='10.9.0.1' prefix='16'/></network>",
    "<network><name>q1</name><uuid>11111111-2222-3333-4444-000000000301</uuid><forward mode='bridge'>"
    "<interface dev='vmnic0'/></forward><portgroup name='VM Network'><vlan><tag id='10'/></vlan></portgroup>"
    "<portgroup name='Mgmt' default='yes'><bandwidth><outbound average='3'/><inbound burst='5' peak='20' "
    "average='10'/></bandwidth><virtualport type='802.1Qbh'><parameters profileid='p'/></virtualport>"
    "<vlan trunk='yes'><tag id='1' nativeMode='untagged'/><tag id='2'/></vlan></portgroup></network>",
    "<network><name>q2</name><uuid>11111111-2222-3333-4444-000000000302</uuid>"
    "<route address='192.168.222.0' prefix='24' gateway='10.0.0.2'/><ip address='10.0.0.1' prefix='24'/>"
    "<bandwidth><inbound average='1'/></bandwidth><vlan><tag id='42'/></vlan>"
    "<dns forwardPlainNames='no' enable='yes'><host ip='10.0.0.7'><hostname>x</hostname><hostname>y</hostname>"
    "</host><srv service='name' protocol='tcp' domain='test-domain-name' target='.' port='1024' priority='10' "
    "weight='10'/><txt name='t' value='v'/><forwarder addr='8.8.8.8'/>"
    "<forwarder domain='example.com' addr='1.1.1.1'/></dns></network>",
    "<network><name>q3</name><uuid>11111111-2222-3333-4444-000000000303</uuid><forward mode='bridge'/>"
    "<bridge name='ovs0'/><virtualport type='openvswitch'>"
    "<parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport>"
    "<portgroup name='p'><virtualport><parameters profileid='x'/></virtualport></portgroup></network>",
    "<network><name>q4</name><uuid>11111111-2222-3333-4444-000000000304</uuid>"
    "<metadata><app:foo xmlns:app='http://app.org/'><!-- kept -->bar</app:foo></metadata>"
    "<forward mode='nat'><nat ipv6='yes'><port start='500' end='1000'/><address start='1.2.3.4' end='1.2.3.10'/>"
    "</nat></forward><ip address='10.0.0.1' prefix='24'><dhcp><bootp file='pxe.0' server='10.0.0.9'/>"
    "<host mac='52:54:00:aa:bb:cc' ip='10.0.0.5'/><range start='10.0.0.2' end='10.0.0.5'>"
    "<lease expiry='1' unit='hours'/></range></dhcp></ip><ip family='ipv6' address='2001:db8::1' prefix='64'>"
    "<dhcp><range start='2001:db8::10' end='2001:db8::20'/>"
    "<host id='0:1:0:1:18:aa:62:fe:0:16:3e:44:55:66' name='h6' ip='2001:db8::11'/></dhcp></ip></network>",
    "<network><name>q5</name><uuid>11111111-2222-3333-4444-000000000305</uuid><dns/><dns enable='no'/></network>",
]

BAD_NETWORKS = [
    "<network>", "<foo/>", "<network/>", "<network><name>a/b</name></network>",
    "<network><name>b1</name><uuid>bad</uuid></network>",
    "<network><name>b2</name><forward mode='open'/></network>",
    "<network><name>b3</name><forward mode='route'/></network>",
    "<network><name>b4</name><forward mode='isolated'/></network>",
    "<network><name>b5</name><ip address='10.0.0.1' netmask='255.255.255.0' prefix='24'/></network>",
    "<network><name>b6</name><ip address='foo'/></network>",
    "<network><name>b7</name><bridge name='b' delay='x'/></network>",
    "<network><name>b8</name><mac address='zz'/></network>",
    "<network><name>b9</name><ip address='10.0.0.1' prefix='99'/></network>",
    "<network><name>b10</name><ip address='10.0.0.1' prefix='24'><dhcp>"
    "<range start='10.1.0.2' end='10.1.0.3'/></dhcp></ip></network>",
    "<network><name>b11</name><forward mode='bogus'/></network>",
    "<network ipv6='maybe'><name>b12</name></network>",
    "<network><name>b14</name><portgroup/></network>",
    "<network><name>b15</name><mtu size='abc'/></network>",
    "<network><name>b16</name><forward mode='nat'><nat><port start='x'/></nat></forward></network>",
    "<network><name>b17</name><forward mode='nat'><nat><port start='1'/></nat></forward></network>",
    "<network><name>b18</name><bandwidth><inbound average='1' floor='2'/></bandwidth></network>",
    "<network><name>b19</name><portgroup name='p'><bandwidth><inbound average='1' floor='2'/></bandwidth>"
    "</portgroup></network>",
    "<network><name>default</name></network>",
    "<network><name>b13</name><uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid></network>",
]


def networks_default():
    section("the default network")
    conn = libvirt.open(URI)
    net_lists(conn)
    attempt("listAllNetworks", conn.listAllNetworks, 0, sort=True)
    for flags in (1, 2, 4, 8, 16, 32, 3, 0x40):
        attempt("listAllNetworks(%#x)" % flags, conn.listAllNetworks, flags, sort=True)
    n = attempt("networkLookupByName('default')", conn.networkLookupByName, "default")
    for name in ("name", "UUID", "UUIDString", "bridgeName", "autostart", "isActive", "isPersistent"):
        attempt(name, getattr(n, name))
    attempt("XMLDesc(0)", n.XMLDesc, 0)
    attempt("XMLDesc(INACTIVE)", n.XMLDesc, libvirt.VIR_NETWORK_XML_INACTIVE)
    attempt("connect() is conn", lambda: n.connect().getURI())
    for u in ("dd8fe884-6c02-601e-7551-cca97df1c5df", "DD8FE8846C02601E7551CCA97DF1C5DF",
              "dd8fe884-6c02-601e-7551-cca97df1c5de", "nonsense", ""):
        attempt("networkLookupByUUIDString(%r)" % u, conn.networkLookupByUUIDString, u)
    attempt("networkLookupByUUID", conn.networkLookupByUUID, bytes.fromhex("dd8fe8846c02601e7551cca97df1c5df"))
    attempt("networkLookupByUUID(zeros)", conn.networkLookupByUUID, bytes(16))
    for name in ("nope", "", "DEFAULT"):
        attempt("networkLookupByName(%r)" % name, conn.networkLookupByName, name)
    conn.close()


def networks_xml():
    section("network XML: define, read back, errors")
    conn = libvirt.open(URI)
    for xml in NETWORKS:
        n = attempt("networkDefineXML", conn.networkDefineXML, xml)
        if n is None:
            continue
        attempt("  XMLDesc", n.XMLDesc, 0)
        attempt("  bridgeName", n.bridgeName)
        net_status(n)
        # The formatted XML reads back to itself.
        again = attempt("  redefine from its XML", conn.networkDefineXML, n.XMLDesc(0))
        attempt("  fixed point", lambda: again.XMLDesc(0) == n.XMLDesc(0))
        attempt("  undefine", n.undefine)
    for xml in BAD_NETWORKS:
        attempt("networkDefineXML(%s)" % xml, conn.networkDefineXML, xml)
    attempt("networkDefineXMLFlags(VALIDATE)", lambda: conn.networkDefineXMLFlags(
        "<network><name>v</name></network>", libvirt.VIR_NETWORK_DEFINE_VALIDATE).undefine())
    attempt("networkDefineXMLFlags(4)", conn.networkDefineXMLFlags, "<network><name>v</name></network>", 4)
    attempt("networkCreateXMLFlags(4)", conn.networkCreateXMLFlags, "<network><name>v</name></network>", 4)
    attempt("networkCreateXML(bad)", conn.networkCreateXML, "<network>")
    net_lists(conn)
    conn.close()


def networks_lifecycle():
    section("network lifecycle")
    conn = libvirt.open(URI)
    n = conn.networkDefineXML("<network><name>life</name><uuid>11111111-2222-3333-4444-000000000010</uuid>"
                              "<bridge name='virbr7'/><ip address='10.7.0.1' prefix='24'/></network>")
    net_status(n)
    net_lists(conn)
    attempt("create", n.create)
    net_status(n)
    attempt("create again", n.create)
    attempt("undefine while running", n.undefine)
    attempt("setAutostart(1)", n.setAutostart, 1)
    net_status(n)
    attempt("listAllNetworks(AUTOSTART)", conn.listAllNetworks, libvirt.VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
            sort=True)
    attempt("setAutostart(0)", n.setAutostart, 0)
    attempt("redefine while running", lambda: conn.networkDefineXML(
        "<network><name>life</name><uuid>11111111-2222-3333-4444-000000000010</uuid>"
        "<bridge name='virbr8'/></network>").XMLDesc(0))
    attempt("XMLDesc", n.XMLDesc, 0)
    attempt("destroy", n.destroy)
    net_status(n)
    attempt("destroy again", n.destroy)
    attempt("XMLDesc", n.XMLDesc, 0)
    attempt("redefine while stopped", lambda: conn.networkDefineXML(
        "<network><name>life</name><uuid>11111111-2222-3333-4444-000000000010</uuid>"
        "<bridge name='virbr9'/></network>").XMLDesc(0))
    attempt("undefine", n.undefine)
    attempt("name of the gone network", n.name)
    for op in ("isActive", "isPersistent", "autostart", "bridgeName", "create", "destroy", "undefine"):
        attempt("%s on the gone network" % op, getattr(n, op))
    attempt("XMLDesc on the gone network", n.XMLDesc, 0)

    section("transient networks")
    t = attempt("networkCreateXML", conn.networkCreateXML,
                "<network><name>tr</name><uuid>11111111-2222-3333-4444-000000000011</uuid></network>")
    net_status(t)
    attempt("create it again", conn.networkCreateXML,
            "<network><name>tr</name><uuid>11111111-2222-3333-4444-000000000011</uuid></network>")
    attempt("undefine", t.undefine)
    attempt("setAutostart(1)", t.setAutostart, 1)
    net_status(t)
    attempt("setAutostart(0)", t.setAutostart, 0)
    attempt("listAllNetworks(TRANSIENT)", conn.listAllNetworks, libvirt.VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
            sort=True)
    attempt("destroy", t.destroy)
    attempt("lookup after destroy", conn.networkLookupByName, "tr")
    t = conn.networkCreateXML("<network><name>tr2</name><uuid>11111111-2222-3333-4444-000000000012</uuid>"
                              "</network>")
    attempt("define the running transient network", lambda: conn.networkDefineXML(t.XMLDesc(0)).name())
    net_status(t)
    attempt("destroy", t.destroy)
    net_status(t)
    attempt("createXML over the defined inactive network", lambda: conn.networkCreateXML(
        "<network><name>tr2</name><uuid>11111111-2222-3333-4444-000000000012</uuid><bridge name='q'/>"
        "</network>").XMLDesc(0))
    net_status(t)
    attempt("destroy", t.destroy)
    attempt("undefine", t.undefine)

    section("the default network stopped and started")
    d = conn.networkLookupByName("default")
    attempt("destroy", d.destroy)
    net_lists(conn)
    attempt("create", d.create)
    net_lists(conn)
    conn.close()


# --------------------------------------------------------------------------
# Storage pools
# --------------------------------------------------------------------------

POOLS = [
    "<pool type='dir'><name>p1</name><uuid>11111111-2222-3333-4444-000000000101</uuid>"
    "<capacity unit='G'>1</capacity><target><path>/p1/</path><permissions><mode>0755</mode>"
    "<owner>107</owner><group>107</group><label>x</label></permissions></target></pool>",
    "<pool type='fs'><name>p2</name><uuid>11111111-2222-3333-4444-000000000102</uuid><source>"
    "<device path='/dev/sda1'/><format type='ext4'/></source><target><path>/p2</path></target></pool>",
    "<pool type='netfs'><name>p3</name><uuid>11111111-2222-3333-4444-000000000103</uuid><source>"
    "<host name='nfs.example.com' port='2049'/><dir path='/export'/><format type='nfs'/></source>"
    "<target><path>/p3</path></target></pool>",
    "<pool type='logical'><name>p4</name><uuid>11111111-2222-3333-4444-000000000104</uuid><source>"
    "<device path='/dev/sdb'/><name>vg0</name><format type='lvm2'/></source>"
    "<target><path>/dev/vg0</path></target></pool>",
    "<pool type='iscsi'><name>p5</name><uuid>11111111-2222-3333-4444-000000000105</uuid><source>"
    "<host name='iscsi.example.com'/><device path='iqn.2013-06.com.example:iscsi-pool'/>"
    "<initiator><iqn name='iqn.2013-06.com.example:client'/></initiator></source>"
    "<target><path>/dev/disk/by-path</path></target></pool>",
    "<pool type='scsi'><name>p6</name><uuid>11111111-2222-3333-4444-000000000106</uuid>"
    "<source><adapter name='host0'/></source><target><path>/dev/disk/by-path</path></target></pool>",
    "<pool type='disk'><name>p7</name><uuid>11111111-2222-3333-4444-000000000107</uuid><source>"
    "<device path='/dev/sdc'/><format type='gpt'/></source><target><path>/dev</path></target></pool>",
    "<pool type='logical'><name>p8</name><uuid>11111111-2222-3333-4444-000000000108</uuid>"
    "<target><path>/dev/p8</path></target></pool>",
    "<pool type='mpath'><name>p9</name><uuid>11111111-2222-3333-4444-000000000109</uuid>"
    "<target><path>/dev/mapper</path></target></pool>",
    "<pool type='rbd'><name>p10</name><uuid>11111111-2222-3333-4444-000000000110</uuid><source>"
    "<name>rbdpool</name><host name='mon1' port='6789'/></source></pool>",
    "<pool type='zfs'><name>p11</name><uuid>11111111-2222-3333-4444-000000000111</uuid>"
    "<source><name>tank</name></source></pool>",
    "<pool type='gluster'><name>p12</name><uuid>11111111-2222-3333-4444-000000000112</uuid><source>"
    "<host name='g'/><dir path='/'/><name>vol</name></source></pool>",
    "<pool type='sheepdog'><name>p13</name><uuid>11111111-2222-3333-4444-000000000113</uuid><source>"
    "<name>s</name><host name='localhost' port='7000'/></source></pool>",
    "<pool type='vstorage'><name>p14</name><uuid>11111111-2222-3333-4444-000000000114</uuid>"
    "<source><name>cl</name></source><target><path>/mnt/vz</path></target></pool>",
    "<pool type='dir'><name>p15</name><uuid>11111111-2222-3333-4444-000000000115</uuid>"
    "<target><path>//a//b/</path></target><source><dir path='/ignored'/></source></pool>",
]

BAD_POOLS = [
    "<pool", "<pool/>", "<pool type='bogus'><name>x</name></pool>", "<foo type='dir'/>",
    "<pool type='dir'><target><path>/x</path></target></pool>",
    "<pool type='dir'><name>x</name></pool>",
    "<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>",
    "<pool type='dir'><name>x</name><uuid>nope</uuid><target><path>/x</path></target></pool>",
    "<pool type='fs'><name>x</name><target><path>/x</path></target></pool>",
    "<pool type='netfs'><name>x</name><source><dir path='/x'/></source><target><path>/x</path></target></pool>",
    "<pool type='default-pool'><name>x</name></pool>",
    "<pool type='dir'><name>default-pool</name><target><path>/x</path></target></pool>",
    "<pool type='dir'><name>zz</name><uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>"
    "<target><path>/x</path></target></pool>",
]


def pools_default():
    section("the default pool")
    conn = libvirt.open(URI)
    pool_lists(conn)
    attempt("listAllStoragePools", conn.listAllStoragePools, 0, sort=True)
    for flags in (1, 2, 4, 8, 16, 32, 64, 128, 66, 1 << 30):
        attempt("listAllStoragePools(%#x)" % flags, conn.listAllStoragePools, flags, sort=True)
    p = attempt("storagePoolLookupByName", conn.storagePoolLookupByName, "default-pool")
    for name in ("name", "UUID", "UUIDString", "autostart", "isActive", "isPersistent", "info",
                 "numOfVolumes", "listVolumes"):
        attempt(name, getattr(p, name))
    attempt("XMLDesc(0)", p.XMLDesc, 0)
    attempt("XMLDesc(INACTIVE)", p.XMLDesc, libvirt.VIR_STORAGE_XML_INACTIVE)
    attempt("connect()", lambda: p.connect().getURI())
    for u in ("dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566", "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4567", "x"):
        attempt("storagePoolLookupByUUIDString(%r)" % u, conn.storagePoolLookupByUUIDString, u)
    attempt("storagePoolLookupByUUID", conn.storagePoolLookupByUUID,
            bytes.fromhex("dfe224cb28fb8dd0c4b264eb3f0f4566"))
    attempt("storagePoolLookupByName('nope')", conn.storagePoolLookupByName, "nope")
    conn.close()


def pools_xml():
    section("pool XML: define, read back, errors")
    conn = libvirt.open(URI)
    for xml in POOLS:
        p = attempt("storagePoolDefineXML", conn.storagePoolDefineXML, xml, 0)
        if p is None:
            continue
        attempt("  XMLDesc", p.XMLDesc, 0)
        pool_status(p)
        again = attempt("  redefine from its XML", conn.storagePoolDefineXML, p.XMLDesc(0), 0)
        attempt("  fixed point", lambda: again.XMLDesc(0) == p.XMLDesc(0))
        attempt("  undefine", p.undefine)
    for xml in BAD_POOLS:
        attempt("storagePoolDefineXML(%s)" % xml, conn.storagePoolDefineXML, xml, 0)
    attempt("storagePoolDefineXML(flags 8)", conn.storagePoolDefineXML,
            "<pool type='dir'><name>x</name><target><path>/x</path></target></pool>", 8)
    attempt("storagePoolCreateXML(flags 16)", conn.storagePoolCreateXML,
            "<pool type='dir'><name>x</name><target><path>/x</path></target></pool>", 16)
    pool_lists(conn)
    conn.close()


def pools_lifecycle():
    section("pool lifecycle")
    conn = libvirt.open(URI)
    p = conn.storagePoolDefineXML("<pool type='dir'><name>life</name>"
                                  "<uuid>11111111-2222-3333-4444-000000000120</uuid>"
                                  "<target><path>/life</path></target></pool>", 0)
    pool_status(p)
    pool_lists(conn)
    for op in ("numOfVolumes", "listVolumes"):
        attempt("%s while inactive" % op, getattr(p, op))
    attempt("listAllVolumes while inactive", p.listAllVolumes, 0)
    attempt("refresh while inactive", p.refresh, 0)
    attempt("destroy while inactive", p.destroy)
    attempt("createXML (volume) while inactive", p.createXML,
            "<volume><name>v</name><capacity>1</capacity></volume>", 0)
    attempt("build", p.build, 0)
    attempt("build(16)", p.build, 16)
    attempt("delete", p.delete, 0)
    attempt("create(16)", p.create, 16)
    attempt("create", p.create, 0)
    pool_status(p)
    for op in ("build", "delete", "create"):
        attempt("%s while active" % op, getattr(p, op), 0)
    attempt("undefine while active", p.undefine)
    attempt("refresh", p.refresh, 0)
    attempt("refresh(16)", p.refresh, 16)
    attempt("setAutostart(1)", p.setAutostart, 1)
    pool_status(p)
    attempt("listAllStoragePools(AUTOSTART)", conn.listAllStoragePools,
            libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART, sort=True)
    attempt("setAutostart(0)", p.setAutostart, 0)
    attempt("createXML over the active pool", conn.storagePoolCreateXML,
            "<pool type='dir'><name>life</name><uuid>11111111-2222-3333-4444-000000000120</uuid>"
            "<target><path>/life</path></target></pool>", 0)
    attempt("destroy", p.destroy)
    pool_status(p)
    attempt("undefine", p.undefine)
    attempt("name of the gone pool", p.name)
    for op in ("isActive", "isPersistent", "autostart", "info", "destroy", "undefine"):
        attempt("%s on the gone pool" % op, getattr(p, op))

    section("transient pools")
    t = attempt("storagePoolCreateXML", conn.storagePoolCreateXML,
                "<pool type='dir'><name>tr</name><uuid>11111111-2222-3333-4444-000000000121</uuid>"
                "<target><path>/tr</path></target></pool>", 0)
    pool_status(t)
    attempt("setAutostart(1)", t.setAutostart, 1)
    attempt("listAllStoragePools(TRANSIENT)", conn.listAllStoragePools,
            libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT, sort=True)
    attempt("destroy", t.destroy)
    attempt("lookup after destroy", conn.storagePoolLookupByName, "tr")
    conn.close()


# --------------------------------------------------------------------------
# Volumes
# --------------------------------------------------------------------------

VOLUMES = [
    "<volume><name>a</name><capacity>1024</capacity></volume>",
    "<volume><name>b</name><key>k</key><capacity unit='KiB'>4</capacity><allocation unit='k'>2</allocation>"
    "<target><path>/zzz</path><format type='qcow2'/><permissions><mode>0600</mode><owner>0</owner>"
    "</permissions></target><backingStore><path>/default-pool/a</path><format type='raw'/></backingStore>"
    "</volume>",
    "<volume type='block'><name>c</name><capacity unit='M'>10</capacity><allocation>0</allocation></volume>",
    "<volume type='dir'><name>d</name><capacity unit='GB'>1</capacity></volume>",
    "<volume><name>e/f</name><capacity>1</capacity></volume>",
]

BAD_VOLUMES = [
    "<volume", "<vol/>", "<volume><name>x</name></volume>", "<volume><capacity>10</capacity></volume>",
    "<volume><name>x</name><capacity unit='zz'>10</capacity></volume>",
    "<volume><name>x</name><capacity>x</capacity></volume>",
    "<volume><name>x</name><capacity>1</capacity><allocation>-1</allocation></volume>",
    "<volume><name>a</name><capacity>1</capacity></volume>",
    "<volume><name>x</name><capacity>1</capacity><allocation>999999999999999</allocation></volume>",
    "<volume><name>x</name><capacity>1</capacity><target><format type='bogus'/></target></volume>",
    "<volume type='weird'><name>x</name><capacity>1</capacity></volume>",
]


def volumes():
    section("volumes")
    conn = libvirt.open(URI)
    p = conn.storagePoolLookupByName("default-pool")
    for xml in VOLUMES:
        v = attempt("createXML", p.createXML, xml, 0)
        if v is None:
            continue
        for name in ("name", "key", "path", "info"):
            attempt("  " + name, getattr(v, name))
        attempt("  XMLDesc", v.XMLDesc, 0)
    for xml in BAD_VOLUMES:
        attempt("createXML(%s)" % xml, p.createXML, xml, 0)
    attempt("createXML(flags 16)", p.createXML, "<volume><name>z</name><capacity>1</capacity></volume>", 16)
    attempt("createXML(PREALLOC_METADATA)", p.createXML, "<volume><name>z</name><capacity>1</capacity></volume>",
            libvirt.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA)
    pool_status(p)
    attempt("listVolumes", p.listVolumes, sort=True)
    attempt("numOfVolumes", p.numOfVolumes)
    attempt("listAllVolumes", p.listAllVolumes, 0, sort=True)
    attempt("listAllVolumes(1)", p.listAllVolumes, 1)
    a = attempt("storageVolLookupByName('a')", p.storageVolLookupByName, "a")
    attempt("storageVolLookupByName('nope')", p.storageVolLookupByName, "nope")
    attempt("storageVolLookupByKey", lambda: conn.storageVolLookupByKey("/default-pool/b").name())
    attempt("storageVolLookupByKey('k')", conn.storageVolLookupByKey, "k")
    attempt("storageVolLookupByPath", lambda: conn.storageVolLookupByPath("/default-pool/c").name())
    attempt("storageVolLookupByPath('/zzz')", conn.storageVolLookupByPath, "/zzz")
    attempt("storagePoolLookupByVolume", a.storagePoolLookupByVolume)
    attempt("connect()", lambda: a.connect().getURI())
    attempt("XMLDesc(1)", a.XMLDesc, 1)
    attempt("createXMLFrom", lambda: p.createXMLFrom(
        "<volume><name>clone</name><capacity>5</capacity></volume>", a, 0).XMLDesc(0))
    attempt("createXMLFrom(flags 16)", p.createXMLFrom,
            "<volume><name>clone2</name><capacity>5</capacity></volume>", a, 16)
    attempt("wipe", a.wipe, 0)
    attempt("delete(1)", a.delete, 1)
    attempt("delete", a.delete, 0)
    attempt("delete again", a.delete, 0)
    for op in ("info", "path"):
        attempt("%s of the deleted volume" % op, getattr(a, op))
    attempt("XMLDesc of the deleted volume", a.XMLDesc, 0)
    attempt("name and key of the deleted volume", lambda: (a.name(), a.key()))
    attempt("createXMLFrom a deleted volume", p.createXMLFrom,
            "<volume><name>clone3</name><capacity>5</capacity></volume>", a, 0)
    pool_status(p)
    b = p.storageVolLookupByName("b")
    attempt("destroy the pool", p.destroy)
    for op in ("info", "path"):
        attempt("%s while the pool is inactive" % op, getattr(b, op))
    attempt("XMLDesc while the pool is inactive", b.XMLDesc, 0)
    attempt("delete while the pool is inactive", b.delete, 0)
    attempt("storageVolLookupByPath while the pool is inactive", conn.storageVolLookupByPath, "/default-pool/b")
    attempt("storagePoolLookupByVolume while the pool is inactive", b.storagePoolLookupByVolume)
    pool_status(p)
    attempt("create the pool", p.create, 0)
    attempt("the volumes are back", p.listVolumes, sort=True)
    for v in sorted(p.listAllVolumes(0), key=lambda x: x.name()):
        attempt("delete %s" % v.name(), v.delete, 0)
    pool_status(p)
    conn.close()


TYPED_POOLS = [
    "<pool type='logical'><name>lg</name><target><path>/dev/lg</path></target></pool>",
    "<pool type='iscsi'><name>is</name><source><host name='h'/><device path='iqn.x'/>"
    "<auth type='chap' username='u'><secret usage='libvirtiscsi'/></auth></source>"
    "<target><path>/dev/disk/by-path</path></target></pool>",
    "<pool type='disk'><name>dk</name><source><device path='/dev/sdz'/></source><target><path>/dev</path></target>"
    "</pool>",
    "<pool type='fs'><name>fs</name><source><device path='/dev/sdy'/></source><target><path>/fs</path></target>"
    "</pool>",
    "<pool type='netfs'><name>nf</name><source><host name='h'/><dir path='/e'/></source>"
    "<target><path>/nf</path></target></pool>",
    "<pool type='rbd'><name>rb</name><source><name>r</name><host name='m'/><auth username='admin' type='ceph'>"
    "<secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth></source></pool>",
]

TYPED_VOLUMES = [
    "<volume><name>v</name><capacity>10</capacity></volume>",
    "<volume><name>w</name><capacity>10</capacity><target><format type='qcow2'/></target></volume>",
    "<volume><name>x</name><capacity>10</capacity><target><format type='vmdk'/></target></volume>",
    "<volume><name>y</name><capacity>10</capacity><target><format type='linux-lvm'/></target></volume>",
]


def volumes_by_pool_type():
    section("volumes in pools of other types")
    conn = libvirt.open(URI)
    for xml in TYPED_POOLS:
        p = attempt("storagePoolCreateXML", conn.storagePoolCreateXML, xml, 0)
        if p is None:
            continue
        attempt("  XMLDesc", p.XMLDesc, 0)
        for vxml in TYPED_VOLUMES:
            v = attempt("  createXML", p.createXML, vxml, 0)
            if v is not None:
                attempt("  XMLDesc", v.XMLDesc, 0)
                attempt("  info", v.info)
        attempt("  destroy", p.destroy)
    conn.close()


# --------------------------------------------------------------------------
# Host interfaces
# --------------------------------------------------------------------------

# test:///default's eth1, as libvirt's built-in configuration defines it: the
# sections that change it put it back from this.
ETH1 = ("<interface type='ethernet' name='eth1'><start mode='onboot'/><mac address='aa:bb:cc:dd:ee:ff'/>"
        "<mtu size='1492'/><protocol family='ipv4'><ip address='192.168.0.5' prefix='24'/>"
        "<route gateway='192.168.0.1'/></protocol></interface>")


def quiet(f, *args):
    """f(*args) with stderr (fd 2) muted."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            return f(*args)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def iface_lists(conn):
    attempt("  listInterfaces", conn.listInterfaces, sort=True)
    attempt("  listDefinedInterfaces", conn.listDefinedInterfaces, sort=True)
    attempt("  numOfInterfaces/numOfDefinedInterfaces",
            lambda: (conn.numOfInterfaces(), conn.numOfDefinedInterfaces()))
    attempt("  listAllInterfaces", lambda: sorted("%s:%d" % (i.name(), i.isActive())
                                                  for i in conn.listAllInterfaces(0)))


def iface_status(i):
    attempt("  %s name/MAC/isActive" % i.name(), lambda: (i.name(), i.MACString(), i.isActive()))


def restore_eth1(conn):
    """eth1 back as test:///default starts: its definition, up, alone."""
    for i in conn.listAllInterfaces(0):
        if i.name() != "eth1":
            i.undefine()
    eth1 = conn.interfaceDefineXML(ETH1, 0)
    if not eth1.isActive():
        eth1.create(0)


INTERFACES = [
    "<interface type='ethernet' name='e0'/>",
    "<interface type='ethernet' name='e1'><mac address='AA:BB:CC:00:11:22'/><mtu size='1500'/>"
    "<start mode='hotplug'/><link speed='1000' state='up'/><protocol family='ipv6'><dhcp/><autoconf/>"
    "<ip address='::1' prefix='64'/><route gateway='fe80::1'/></protocol><protocol family='ipv4'>"
    "<dhcp peerdns='yes'/><ip address='10.0.0.2'/><ip address='10.0.0.3' prefix='8'/><route gateway='10.0.0.1'/>"
    "<route gateway='10.0.0.9'/></protocol></interface>",
    "<interface type='ethernet' name='e2'><start mode='none'/><mtu size=' +9'/><link speed='0' state='unknown'/>"
    "<protocol family='ipv4'><ip/><ip address='1.2.3.4' prefix='-1'/><dhcp peerdns='no'/><route/></protocol>"
    "<protocol family='ipv4'/><bogus/><mac address='zz'/><mac address='yy'/></interface>",
    "<interface type='ethernet' name=''><start mode=''/><mtu size='0'/><mac/><link/></interface>",
    "<interface type='ethernet' name='a/b'><mtu/><start/></interface>",
    "<x:interface xmlns:x='urn:x' type='ethernet' name='ns'/>",
    "<interface type='bridge' name='br0'><start mode='onboot'/><mtu size='1500'/><mac address='00:11:22:33:44:55'/>"
    "<link speed='10' state='down'/><protocol family='ipv4'><dhcp/></protocol><bridge stp='off' delay='0.01'>"
    "<interface type='ethernet' name='eth0'><start mode='onboot'/><mtu size='9000'/><link state='up'/>"
    "<mac address='00:11:22:33:44:55'/><protocol family='ipv4'><dhcp/></protocol></interface>"
    "<foo/><interface type='vlan' name='eth0.1'><mtu size='9'/><mac address='1'/><link speed='10'/>"
    "<vlan tag='1'><interface name='eth0'/></vlan></interface><interface type='bond' name='bo'><link state='up'/>"
    "<bond mode='active-backup'><arpmon interval='1' target='2'/><interface type='ethernet' name='x'>"
    "<link speed='5'/></interface></bond></interface></bridge></interface>",
    "<interface type='bridge' name='br1'><bridge/></interface>",
    "<interface type='bridge' name='br2'><bridge stp='maybe' delay='5'><interface type='ethernet'/></bridge>"
    "<bridge stp='on'/></interface>",
    "<interface type='bridge' name='br4'><bridge stp='' delay='1'/></interface>",
    "<interface type='bridge' name='br3'><bridge stp='on' delay=''/></interface>",
    "<interface type='bond' name='bond0'><start mode='none'/><protocol family='ipv4'><ip address='192.168.50.7' "
    "prefix='24'/><route gateway='192.168.50.1'/></protocol><bond mode='active-backup'><miimon freq='100' "
    "updelay='10' carrier='ioctl'/><interface type='ethernet' name='eth1'><mac address='ab:bb:cc:dd:ee:ff'/>"
    "</interface><interface type='ethernet' name='eth2'/></bond></interface>",
    "<interface type='bond' name='bond1'><mac address='00:11:22:33:44:55'/><mtu size='9000'/><link speed='10' "
    "state='up'/><bond mode='balance-rr'><arpmon interval='100' target='192.168.50.1' validate='active'/>"
    "<interface type='ethernet' name='eth1'><link state='up'/><mac address='00:00:00:00:00:01'/></interface>"
    "</bond></interface>",
    "<interface type='bond' name='bond2'><bond/></interface>",
    "<interface type='bond' name='bond3'><bond mode='802.3ad'><arpmon interval='5' target='1.1.1.1' "
    "validate='all'/><miimon freq='3' downdelay='-3' updelay='0' carrier=''/><interface type='ethernet' "
    "name='e'/></bond></interface>",
    "<interface type='bond' name='bond4'><bond mode=''><miimon freq=' 5' downdelay='7' carrier='netif'/>"
    "</bond></interface>",
    "<interface type='bond' name='bond5'><bond mode='broadcast'><arpmon interval='-1' target='a&amp;b' "
    "validate=''/></bond></interface>",
    "<interface type='bond' name='bond6'><bond mode='balance-xor'><miimon freq='0'/></bond></interface>",
    "<interface type='bond' name='bond7'><bond mode='balance-tlb'/></interface>",
    "<interface type='bond' name='bond8'><bond mode='balance-alb'/></interface>",
    "<interface type='vlan' name='eth0.42'><start mode='onboot'/><mtu size='9'/><mac address='00:11:22:33:44:55'/>"
    "<link speed='10' state='up'/><protocol family='ipv4'><dhcp/></protocol><vlan tag='42'><interface name='eth0'/>"
    "<interface name='eth1'/></vlan></interface>",
    "<interface type='vlan' name='v1'><vlan tag='x'><interface/><interface name='&amp;'/></vlan></interface>",
]

BAD_INTERFACES = [
    "<interface", "", "<foo/>", "<interface name='x'/>", "<interface type='foo' name='x'/>",
    "<interface type='ethernet'/>", "<interface type='ethernet'><start mode='bogus'/></interface>",
    "<interface type='bridge'><link speed='x'/></interface>",
    "<interface type='ethernet' name='e'><start mode='bogus'/></interface>",
    "<interface type='ethernet' name='e'><start mode='bogus'/><mtu size='x'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='x'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='-1'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='0x5'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='4294967296'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='100001'/></interface>",
    "<interface type='ethernet' name='e'><mtu size='x'/><protocol family='x'/></interface>",
    "<interface type='ethernet' name='e'><protocol/></interface>",
    "<interface type='ethernet' name='e'><protocol family=''/></interface>",
    "<interface type='ethernet' name='e'><protocol family='IPv4'/></interface>",
    "<interface type='ethernet' name='e'><protocol family='x'/><link speed='x'/></interface>",
    "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1' prefix='x'/></protocol></interface>",
    "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1' prefix=''/></protocol></interface>",
    "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1' prefix='2147483648'/>"
    "</protocol></interface>",
    "<interface type='ethernet' name='e'><protocol family='ipv4'><dhcp peerdns='x'/><ip address='1' prefix='x'/>"
    "</protocol></interface>",
    "<interface type='ethernet' name='e'><protocol family='ipv6'><dhcp peerdns='maybe'/></protocol></interface>",
    "<interface type='ethernet' name='e'><link state='x' speed='y'/></interface>",
    "<interface type='ethernet' name='e'><link speed='-1'/></interface>",
    "<interface type='ethernet' name='e'><link speed=''/></interface>",
    "<interface type='ethernet' name='e'><link speed='4294967296'/></interface>",
    "<interface type='bridge' name='b'/>",
    "<interface type='bridge' name='b'><bridge><interface type='bridge' name='b2'><bridge/></interface></bridge>"
    "</interface>",
    "<interface type='bridge' name='b'><bridge><interface type='bridge'/></bridge></interface>",
    "<interface type='bridge' name='b'><bridge><interface name='v0'/></bridge></interface>",
    "<interface type='bridge' name='b'><bridge><interface type='ethernet'/></bridge></interface>",
    "<interface type='bridge' name='b'><bridge><interface type='vlan' name='v'/></bridge></interface>",
    "<interface type='bond' name='b'/>",
    "<interface type='bond' name='b'><bond><interface type='vlan' name='v'><vlan tag='1'><interface name='e'/>"
    "</vlan></interface></bond></interface>",
    "<interface type='bond' name='b'><bond mode='bogus'/></interface>",
    "<interface type='bond' name='b'><bond mode='x'><interface type='ethernet'/></bond></interface>",
    "<interface type='bond' name='b'><bond><interface type='ethernet'/><miimon freq='x'/></bond></interface>",
    "<interface type='bond' name='b'><bond><miimon/></bond></interface>",
    "<interface type='bond' name='b'><bond><miimon freq='5x'/></bond></interface>",
    "<interface type='bond' name='b'><bond><miimon freq='2147483648'/></bond></interface>",
    "<interface type='bond' name='b'><bond><miimon freq='1' carrier='x' updelay='y' downdelay='z'/></bond>"
    "</interface>",
    "<interface type='bond' name='b'><bond><miimon freq='1' carrier='x' updelay='y'/></bond></interface>",
    "<interface type='bond' name='b'><bond><miimon freq='1' carrier='bogus'/></bond></interface>",
    "<interface type='bond' name='b'><bond><arpmon interval='5'/></bond></interface>",
    "<interface type='bond' name='b'><bond><arpmon target='1.1.1.1'/></bond></interface>",
    "<interface type='bond' name='b'><bond><arpmon validate='x'/></bond></interface>",
    "<interface type='bond' name='b'><bond><arpmon interval='0' target=''/></bond></interface>",
    "<interface type='bond' name='b'><bond><arpmon interval='1' target='t' validate='none'/></bond></interface>",
    "<interface type='vlan' name='v'/>",
    "<interface type='vlan' name='v'><vlan/></interface>",
    "<interface type='vlan' name='v'><vlan tag='42'/></interface>",
    "<interface type='vlan' name='v'><vlan><interface name='eth0'/></vlan></interface>",
    "<interface type='vlan' name='v'><vlan tag=''><interface name=''/></vlan></interface>",
    "<interface type='vlan' name='v'><vlan tag='5'><interface/></vlan></interface>",
    "<interface type='vlan' name='v'><vlan tag='1'><interface name=''/></vlan></interface>",
]


def interfaces_default():
    section("the default host interface")
    conn = libvirt.open(URI)
    iface_lists(conn)
    for flags in (0, 1, 2, 3, 4, 8, 0x80000000):
        attempt("listAllInterfaces(%#x)" % flags, conn.listAllInterfaces, flags, sort=True)
    i = attempt("interfaceLookupByName('eth1')", conn.interfaceLookupByName, "eth1")
    for name in ("name", "MACString", "isActive"):
        attempt(name, getattr(i, name))
    for flags in (0, libvirt.VIR_INTERFACE_XML_INACTIVE, 2, 3):
        attempt("XMLDesc(%#x)" % flags, i.XMLDesc, flags)
    attempt("connect()", lambda: i.connect().getURI() == conn.getURI())
    for name in ("nope", "", "ETH1", "eth1 "):
        attempt("interfaceLookupByName(%r)" % name, conn.interfaceLookupByName, name)
    for mac in ("aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF", "Aa:bB:cc:dd:ee:ff", "00:11:22:33:44:55", "garbage", ""):
        attempt("interfaceLookupByMACString(%r)" % mac, conn.interfaceLookupByMACString, mac)
    conn.close()


def interfaces_xml():
    section("interface XML: define, read back, errors")
    conn = libvirt.open(URI)
    for xml in INTERFACES:
        i = attempt("interfaceDefineXML", conn.interfaceDefineXML, xml, 0)
        if i is None:
            continue
        iface_status(i)
        attempt("  XMLDesc", i.XMLDesc, 0)
        # The formatted XML reads back to itself (libvirt's escaping aside).
        again = attempt("  redefine from its XML", conn.interfaceDefineXML, i.XMLDesc(0), 0)
        if again is not None:
            attempt("  fixed point", lambda: again.XMLDesc(0) == i.XMLDesc(0))
        attempt("  undefine", i.undefine)
    iface_lists(conn)
    for xml in BAD_INTERFACES:
        attempt("interfaceDefineXML(%s)" % xml, conn.interfaceDefineXML, xml, 0)
    attempt("interfaceDefineXML(VALIDATE)", lambda: conn.interfaceDefineXML(
        "<interface type='ethernet' name='v'/>", libvirt.VIR_INTERFACE_DEFINE_VALIDATE).undefine())
    for flags in (2, 3, 0x80000000):
        attempt("interfaceDefineXML(%#x)" % flags, conn.interfaceDefineXML, "<interface type='ethernet' name='v'/>",
                flags)
    attempt("interfaceDefineXML(%#x, bad XML)" % 2, conn.interfaceDefineXML, "<interface", 2)
    section("interface XML: only the name is escaped")
    # libvirt writes the other values as they were read, so these do not read back.
    for xml in ("<interface type='ethernet' name='a&amp;b&lt;'><mac address='a&apos;b'/></interface>",
                "<interface type='bridge' name='q&apos;'><bridge delay='&lt;'/></interface>",
                "<interface type='bond' name='q'><bond><arpmon interval='1' target='&amp;'/></bond></interface>",
                "<interface type='vlan' name='q'><vlan tag='&lt;'><interface name='&amp;'/></vlan></interface>",
                "<interface type='ethernet' name='q'><protocol family='ipv4'><ip address='&lt;'/>"
                "<route gateway='&amp;'/></protocol></interface>"):
        i = attempt("interfaceDefineXML", conn.interfaceDefineXML, xml, 0)
        if i is not None:
            iface_status(i)
            attempt("  XMLDesc", i.XMLDesc, 0)
            attempt("  undefine", i.undefine)
    section("interface XML: names and MAC addresses defined twice")
    eth1 = conn.interfaceLookupByName("eth1")
    # A second definition of a name replaces the first; a running one stays up.
    attempt("redefine eth1", conn.interfaceDefineXML,
            "<interface type='ethernet' name='eth1'><mac address='00:00:00:00:00:01'/></interface>", 0)
    iface_status(eth1)
    attempt("  XMLDesc", eth1.XMLDesc, 0)
    attempt("old handle's MAC", eth1.MACString)
    attempt("lookup the old MAC", conn.interfaceLookupByMACString, "aa:bb:cc:dd:ee:ff")
    attempt("redefine eth1 as a bridge", conn.interfaceDefineXML,
            "<interface type='bridge' name='eth1'><bridge/></interface>", 0)
    iface_status(eth1)
    # MAC addresses may repeat; looking one up then finds too many.
    restore_eth1(conn)
    for name in ("d1", "d2"):
        attempt("define %s" % name, conn.interfaceDefineXML,
                "<interface type='ethernet' name='%s'><mac address='52:54:00:00:00:0%s'/></interface>"
                % (name, name[1]), 0)
    attempt("define d3", conn.interfaceDefineXML,
            "<interface type='ethernet' name='d3'><mac address='52:54:00:00:00:01'/></interface>", 0)
    for mac in ("52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03", "aa:bb:cc:dd:ee:ff"):
        attempt("interfaceLookupByMACString(%r)" % mac, conn.interfaceLookupByMACString, mac)
    attempt("redefine eth1 as a bridge", conn.interfaceDefineXML,
            "<interface type='bridge' name='eth1'><bridge/></interface>", 0)
    # eth1, now a bridge, has no MAC address: libvirt's lookup then matches it
    # to any address (and GLib complains on stderr, which is not libvirt's to say).
    for mac in ("52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"):
        attempt("interfaceLookupByMACString(%r) with eth1 a bridge" % mac,
                lambda: quiet(conn.interfaceLookupByMACString, mac))
    iface_lists(conn)
    restore_eth1(conn)
    iface_lists(conn)
    attempt("eth1 XMLDesc", lambda: conn.interfaceLookupByName("eth1").XMLDesc(0))
    conn.close()


def interfaces_lifecycle():
    section("interface lifecycle")
    conn = libvirt.open(URI)
    i = conn.interfaceDefineXML("<interface type='ethernet' name='life'><mac address='52:54:00:11:22:33'/>"
                                "</interface>", 0)
    iface_status(i)
    iface_lists(conn)
    attempt("destroy while down", i.destroy, 0)
    attempt("create(1)", i.create, 1)
    attempt("create", i.create, 0)
    iface_status(i)
    iface_lists(conn)
    attempt("create while up", i.create, 0)
    attempt("destroy(1)", i.destroy, 1)
    attempt("destroy", i.destroy, 0)
    attempt("destroy again", i.destroy, 0)
    iface_status(i)
    attempt("create", i.create, 0)
    attempt("undefine while up", i.undefine)
    iface_lists(conn)
    for op in ("create", "destroy"):
        attempt("%s when gone" % op, getattr(i, op), 0)
        attempt("%s(1) when gone" % op, getattr(i, op), 1)
    attempt("undefine when gone", i.undefine)
    attempt("isActive when gone", i.isActive)
    attempt("XMLDesc when gone", i.XMLDesc, 0)
    attempt("XMLDesc(1) when gone", i.XMLDesc, 1)
    attempt("name/MAC when gone", lambda: (i.name(), i.MACString()))
    i = conn.interfaceDefineXML("<interface type='bond' name='life2'><bond/></interface>", 0)
    attempt("undefine while down", i.undefine)
    eth1 = conn.interfaceLookupByName("eth1")
    attempt("destroy eth1", eth1.destroy, 0)
    iface_lists(conn)
    attempt("create eth1", eth1.create, 0)
    iface_lists(conn)
    conn.close()


def interfaces_transactions():
    section("interface transactions")
    conn = libvirt.open(URI)
    other = libvirt.open(URI)
    attempt("changeCommit without one", conn.changeCommit, 0)
    attempt("changeRollback without one", conn.changeRollback, 0)
    for flags in (1, 2, 0x80000000):
        attempt("changeBegin(%#x)" % flags, conn.changeBegin, flags)
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("changeBegin again", conn.changeBegin, 0)
    attempt("changeBegin on another connection", other.changeBegin, 0)
    for flags in (1, 4):
        attempt("changeCommit(%#x)" % flags, conn.changeCommit, flags)
        attempt("changeRollback(%#x)" % flags, conn.changeRollback, flags)
    attempt("changeCommit", conn.changeCommit, 0)
    attempt("changeCommit again", conn.changeCommit, 0)
    attempt("changeRollback after commit", conn.changeRollback, 0)
    iface_lists(conn)
    # Nothing changed, yet a rollback brings back copies that are all down.
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("changeRollback", conn.changeRollback, 0)
    iface_lists(conn)
    eth1 = conn.interfaceLookupByName("eth1")
    attempt("create eth1", eth1.create, 0)
    # Changes made inside a transaction, then rolled back.
    attempt("changeBegin", conn.changeBegin, 0)
    t1 = attempt("define t1", conn.interfaceDefineXML, "<interface type='ethernet' name='t1'/>", 0)
    attempt("create t1", t1.create, 0)
    attempt("redefine eth1", conn.interfaceDefineXML,
            "<interface type='ethernet' name='eth1'><mac address='00:00:00:00:00:02'/></interface>", 0)
    attempt("eth1 XMLDesc", eth1.XMLDesc, 0)
    iface_lists(conn)
    attempt("changeRollback from the other connection", other.changeRollback, 0)
    iface_lists(conn)
    attempt("eth1 XMLDesc", eth1.XMLDesc, 0)
    attempt("t1 isActive", t1.isActive)
    attempt("changeRollback again", conn.changeRollback, 0)
    # Changes committed stay.
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("undefine eth1", eth1.undefine)
    t2 = attempt("define t2", conn.interfaceDefineXML, "<interface type='vlan' name='t2'><vlan tag='2'>"
                 "<interface name='eth0'/></vlan></interface>", 0)
    attempt("changeCommit", conn.changeCommit, 0)
    iface_lists(conn)
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("undefine t2", t2.undefine)
    attempt("changeRollback", conn.changeRollback, 0)
    iface_lists(conn)
    attempt("t2 XMLDesc", t2.XMLDesc, 0)
    restore_eth1(conn)
    iface_lists(conn)
    other.close()
    conn.close()


def interfaces_read_only():
    section("host interfaces on a read-only connection")
    c = libvirt.openReadOnly(URI)
    i = c.interfaceLookupByName("eth1")
    xml = "<interface type='ethernet' name='x'/>"
    attempt("interfaceDefineXML", c.interfaceDefineXML, xml, 0)
    attempt("interfaceDefineXML(bad flags)", c.interfaceDefineXML, xml, 2)
    attempt("interfaceDefineXML(bad XML)", c.interfaceDefineXML, "<interface", 0)
    for op in ("create", "destroy"):
        attempt("interface " + op, getattr(i, op), 0)
        attempt("interface %s(1)" % op, getattr(i, op), 1)
    attempt("interface undefine", i.undefine)
    for op in ("changeBegin", "changeCommit", "changeRollback"):
        attempt(op, getattr(c, op), 0)
        attempt(op + "(1)", getattr(c, op), 1)
    for op in ("name", "MACString", "isActive"):
        attempt("interface " + op, getattr(i, op))
    attempt("interface XMLDesc", i.XMLDesc, 0)
    attempt("interfaceLookupByMACString", c.interfaceLookupByMACString, "aa:bb:cc:dd:ee:ff")
    iface_lists(c)
    attempt("listAllInterfaces(2)", c.listAllInterfaces, 2, sort=True)
    c.close()


IFACE_NODE = """<node>
<interface type='ethernet' name='eth7'><mac address='00:00:00:00:00:07'/></interface>
<interface file='if2.xml'/>
<interface type='ethernet' name='eth7'><mac address='00:00:00:00:00:08'/><mtu size='1500'/></interface>
<interface type='vlan' name='eth7.5'><vlan tag='5'><interface name='eth7'/></vlan></interface>
</node>
"""


def interfaces_node_file():
    section("host interfaces of a node file")
    with open(os.path.join(TMP, "if2.xml"), "w") as fp:
        fp.write("<interface type='bridge' name='br0'><bridge stp='on'><interface type='ethernet' name='eth3'/>"
                 "</bridge></interface>")
    node = os.path.join(TMP, "ifnode.xml")
    with open(node, "w") as fp:
        fp.write(IFACE_NODE)
    conn = libvirt.open("test://" + node)
    iface_lists(conn)
    for i in sorted(conn.listAllInterfaces(0), key=lambda x: x.name()):
        iface_status(i)
        attempt("  XMLDesc", i.XMLDesc, 0)
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("changeRollback", conn.changeRollback, 0)
    iface_lists(conn)
    conn.close()
    conn = libvirt.open("test://" + node)
    attempt("a fresh connection: its own state", lambda: sorted(
        "%s:%d" % (i.name(), i.isActive()) for i in conn.listAllInterfaces(0)))
    conn.close()
    empty = os.path.join(TMP, "empty.xml")
    with open(empty, "w") as fp:
        fp.write("<node/>")
    conn = libvirt.open("test://" + empty)
    iface_lists(conn)
    attempt("changeBegin", conn.changeBegin, 0)
    attempt("changeCommit", conn.changeCommit, 0)
    conn.close()
    bad = os.path.join(TMP, "ifbad.xml")
    for text in ("<node><interface type='bond' name='b'/></node>",
                 "<node><interface type='ethernet' name='e'><mtu size='x'/></interface></node>",
                 "<node><interface file='missing.xml'/></node>",
                 "<node><interface name='e'/></node>"):
        with open(bad, "w") as fp:
            fp.write(text)
        attempt("open a node file with %s" % text, lambda: libvirt.open("test://" + bad) and None)


# --------------------------------------------------------------------------
# Read-only connections and node files
# --------------------------------------------------------------------------

def read_only():
    section("read-only connections")
    w = libvirt.open(URI)
    wp = w.storagePoolLookupByName("default-pool")
    wp.createXML("<volume><name>ro</name><capacity>1</capacity></volume>", 0)
    c = libvirt.openReadOnly(URI)
    n = c.networkLookupByName("default")
    p = c.storagePoolLookupByName("default-pool")
    v = p.storageVolLookupByName("ro")
    net_xml = "<network><name>x</name></network>"
    pool_xml = "<pool type='dir'><name>x</name><target><path>/x</path></target></pool>"
    attempt("networkDefineXML", c.networkDefineXML, net_xml)
    attempt("networkDefineXMLFlags", c.networkDefineXMLFlags, net_xml, 0)
    attempt("networkCreateXML", c.networkCreateXML, net_xml)
    attempt("networkCreateXMLFlags", c.networkCreateXMLFlags, net_xml, 0)
    for op in ("undefine", "create", "destroy"):
        attempt("network " + op, getattr(n, op))
    attempt("network setAutostart", n.setAutostart, 1)
    for op in ("name", "UUIDString", "isActive", "isPersistent", "autostart", "bridgeName"):
        attempt("network " + op, getattr(n, op))
    attempt("network XMLDesc", n.XMLDesc, 0)
    net_lists(c)
    attempt("storagePoolDefineXML", c.storagePoolDefineXML, pool_xml, 0)
    attempt("storagePoolCreateXML", c.storagePoolCreateXML, pool_xml, 0)
    for op in ("create", "build", "delete", "refresh"):
        attempt("pool " + op, getattr(p, op), 0)
    for op in ("destroy", "undefine"):
        attempt("pool " + op, getattr(p, op))
    attempt("pool setAutostart", p.setAutostart, 1)
    for op in ("info", "isActive", "listVolumes", "numOfVolumes"):
        attempt("pool " + op, getattr(p, op))
    attempt("pool XMLDesc", p.XMLDesc, 0)
    attempt("volume createXML", p.createXML, "<volume/>", 0)
    attempt("volume createXMLFrom", p.createXMLFrom, "<volume/>", v, 0)
    attempt("volume delete", v.delete, 0)
    attempt("volume wipe", v.wipe, 0)
    for op in ("info", "path", "key"):
        attempt("volume " + op, getattr(v, op))
    attempt("volume XMLDesc", v.XMLDesc, 0)
    c.close()
    wp.storageVolLookupByName("ro").delete(0)
    w.close()


NODE = """<node>
<network><name>nn</name><uuid>11111111-2222-3333-4444-000000000201</uuid><bridge name='b0'/>
<ip address='10.0.0.1' prefix='24'/></network>
<network file='net2.xml'/>
<pool type='dir'><name>pp</name><uuid>11111111-2222-3333-4444-000000000202</uuid>
<target><path>/pp</path></target>
<volume><name>v1</name><capacity>100</capacity><allocation>50</allocation></volume>
<volume><name>v2</name><capacity unit='KiB'>1</capacity></volume>
</pool>
<pool type='logical'><name>pq</name><uuid>11111111-2222-3333-4444-000000000203</uuid>
<target><path>/dev/pq</path></target>
<volume><name>lv</name><capacity>100</capacity><target><format type='qcow2'/></target></volume>
</pool>
</node>
"""


def node_file():
    section("networks and pools of a node file")
    with open(os.path.join(TMP, "net2.xml"), "w") as fp:
        fp.write("<network><name>n2</name><uuid>11111111-2222-3333-4444-000000000204</uuid></network>")
    node = os.path.join(TMP, "node.xml")
    with open(node, "w") as fp:
        fp.write(NODE)
    conn = libvirt.open("test://" + node)
    net_lists(conn)
    pool_lists(conn)
    for n in sorted(conn.listAllNetworks(0), key=lambda x: x.name()):
        net_status(n)
        attempt("  XMLDesc", n.XMLDesc, 0)
    for p in sorted(conn.listAllStoragePools(0), key=lambda x: x.name()):
        pool_status(p)
        attempt("  XMLDesc", p.XMLDesc, 0)
        for v in sorted(p.listAllVolumes(0), key=lambda x: x.name()):
            attempt("  volume %s" % v.name(), lambda: (v.key(), v.path(), v.info()))
            attempt("  XMLDesc", v.XMLDesc, 0)
    conn.close()
    bad = os.path.join(TMP, "bad.xml")
    with open(bad, "w") as fp:
        fp.write("<node><network><name>x</name><forward mode='route'/></network></node>")
    attempt("open a node file with a bad network", libvirt.open, "test://" + bad)
    with open(bad, "w") as fp:
        fp.write("<node><pool type='dir'><name>x</name></pool></node>")
    attempt("open a node file with a bad pool", libvirt.open, "test://" + bad)


SECTIONS = [networks_default, networks_xml, networks_lifecycle, interfaces_default, interfaces_xml,
            interfaces_lifecycle, interfaces_transactions, interfaces_read_only, interfaces_node_file,
            pools_default, pools_xml, pools_lifecycle, volumes, volumes_by_pool_type, read_only, node_file]


def main():
    chosen = sys.argv[1:]
    unknown = set(chosen) - {f.__name__ for f in SECTIONS}
    if unknown:
        sys.exit("unknown sections: %s (known: %s)" % (sorted(unknown), " ".join(f.__name__ for f in SECTIONS)))
    try:
        for f in SECTIONS:
            if not chosen or f.__name__ in chosen:
                try:
                    f()
                except Exception as e:
                    out("!! section %s stopped: %s" % (f.__name__, error_text(e)))
                sys.stdout.flush()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    # Every section cleans up after itself on the shared default state.
    section("left over on test:///default")
    conn = libvirt.open(URI)
    for n in sorted(conn.listAllNetworks(0), key=lambda x: x.name()):
        net_status(n)
    for i in sorted(conn.listAllInterfaces(0), key=lambda x: x.name()):
        iface_status(i)
        attempt("  XMLDesc", i.XMLDesc, 0)
    for p in sorted(conn.listAllStoragePools(0), key=lambda x: x.name()):
        pool_status(p)
    conn.close()


main()
