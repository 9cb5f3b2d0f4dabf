//! The interface XML module against documents and errors measured on
//! libvirt 9.0's test driver (`virInterfaceDefineXML` then `GetXMLDesc`).

use super::*;

fn round(xml: &str) -> String {
    InterfaceDef::parse(xml).unwrap().to_xml()
}

fn err(xml: &str) -> (i32, i32, String) {
    let e = InterfaceDef::parse(xml).unwrap_err();
    (e.code, e.domain, e.message)
}

#[test]
fn the_default_eth1_is_reordered_and_requoted() {
    let xml = r#"<interface type="ethernet" name="eth1">  <start mode="onboot"/>  <mac address="aa:bb:cc:dd:ee:ff"/>  <mtu size="1492"/>  <protocol family="ipv4">    <ip address="192.168.0.5" prefix="24"/>    <route gateway="192.168.0.1"/>  </protocol></interface>"#;
    assert_eq!(
        round(xml),
        "<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='1492'/>
  <protocol family='ipv4'>
    <ip address='192.168.0.5' prefix='24'/>
    <route gateway='192.168.0.1'/>
  </protocol>
  <mac address='aa:bb:cc:dd:ee:ff'/>
</interface>
"
    );
    assert_eq!(InterfaceDef::parse(xml).unwrap().mac(), "aa:bb:cc:dd:ee:ff");
}

#[test]
fn ipv6_puts_autoconf_first_and_keeps_one_route() {
    let xml = "<interface type='ethernet' name='e0'><link speed='1000' state='up'/>\
        <protocol family='ipv6'><dhcp/><autoconf/><ip address='::1' prefix='64'/><ip address='::2' prefix='0'/>\
        <route gateway='fe80::1'/><route gateway='fe80::2'/></protocol><protocol family='ipv4'><dhcp peerdns='yes'/>\
        </protocol></interface>";
    assert_eq!(
        round(xml),
        "<interface type='ethernet' name='e0'>
  <protocol family='ipv6'>
    <autoconf/>
    <dhcp/>
    <ip address='::1' prefix='64'/>
    <ip address='::2'/>
    <route gateway='fe80::1'/>
  </protocol>
  <protocol family='ipv4'>
    <dhcp peerdns='yes'/>
  </protocol>
  <link speed='1000' state='up'/>
</interface>
"
    );
}

#[test]
fn bridge_members_keep_only_link_and_mac() {
    let xml = "<interface type='bridge' name='br0'><mac address='00:11:22:33:44:55'/><link speed='10'/>\
        <bridge stp='off' delay='0.01'><interface type='ethernet' name='eth0'><start mode='onboot'/>\
        <mtu size='9000'/><link state='up'/><mac address='00:11:22:33:44:55'/></interface>\
        <interface type='vlan' name='eth0.1'><vlan tag='1'><interface name='eth0'/></vlan></interface>\
        </bridge></interface>";
    assert_eq!(
        round(xml),
        "<interface type='bridge' name='br0'>
  <bridge stp='off' delay='0.01'>
    <interface type='ethernet' name='eth0'>
      <link state='up'/>
      <mac address='00:11:22:33:44:55'/>
    </interface>
    <interface type='vlan' name='eth0.1'>
      <vlan tag='1'>
        <interface name='eth0'/>
      </vlan>
    </interface>
  </bridge>
</interface>
"
    );
    let def = InterfaceDef::parse(xml).unwrap();
    assert_eq!(def.mac(), "");
    assert_eq!(
        round("<interface type='bridge' name='b'><bridge stp='maybe'/></interface>"),
        "<interface type='bridge' name='b'>\n  <bridge>\n  </bridge>\n</interface>\n"
    );
}

#[test]
fn bonds_prefer_miimon_and_write_positive_delays() {
    let xml = "<interface type='bond' name='b0'><start mode='hotplug'/><mtu size='9'/><link speed='10' state='up'/>\
        <bond mode='balance-tlb'><arpmon interval='1' target='t'/><miimon freq='1' downdelay='0' updelay='3' \
        carrier='ioctl'/><interface type='ethernet' name='e'/></bond></interface>";
    assert_eq!(
        round(xml),
        "<interface type='bond' name='b0'>
  <start mode='hotplug'/>
  <mtu size='9'/>
  <link speed='10' state='up'/>
  <bond mode='balance-tlb'>
    <miimon freq='1' updelay='3' carrier='ioctl'/>
    <interface type='ethernet' name='e'>
    </interface>
  </bond>
</interface>
"
    );
    assert_eq!(
        round("<interface type='bond' name='b'><bond><arpmon interval='-1' target='a&amp;b' validate='all'/></bond></interface>"),
        "<interface type='bond' name='b'>\n  <bond>\n    <arpmon interval='-1' target='a&b' validate='all'/>\n  </bond>\n</interface>\n"
    );
}

#[test]
fn only_the_name_is_escaped() {
    assert_eq!(
        round("<interface type='ethernet' name='a&amp;b&lt;'><mac address='a&apos;b'/></interface>"),
        "<interface type='ethernet' name='a&amp;b&lt;'>\n  <mac address='a'b'/>\n</interface>\n"
    );
}

#[test]
fn errors_read_as_libvirt_reports_them() {
    let iface = |m: &str| (VIR_ERR_XML_ERROR, VIR_FROM_INTERFACE, format!("XML error: {m}"));
    let generic = |m: &str| (VIR_ERR_XML_ERROR, VIR_FROM_XML, format!("XML error: {m}"));
    for (xml, want) in [
        ("<interface type='ethernet'/>", iface("interface has no name")),
        ("<interface name='x'/>", generic("Missing required attribute 'type' in element 'interface'")),
        ("<interface type='foo' name='x'/>", generic("Invalid value for attribute 'type' in element 'interface': 'foo'.")),
        ("<foo/>", generic("expecting root element of 'interface', not 'foo'")),
        ("<interface type='bridge' name='b'/>", iface("bridge interface misses the bridge element")),
        ("<interface type='bond' name='b'/>", iface("bond interface misses the bond element")),
        ("<interface type='vlan' name='v'/>", iface("vlan interface misses the vlan element")),
        ("<interface type='vlan' name='v'><vlan/></interface>", iface("vlan interface misses the tag attribute")),
        ("<interface type='vlan' name='v'><vlan tag='1'><interface name=''/></vlan></interface>", iface("vlan interface misses name attribute")),
        ("<interface type='ethernet' name='e'><start mode='bogus'/></interface>", iface("unknown interface startmode bogus")),
        ("<interface type='ethernet' name='e'><mtu size='100001'/></interface>", iface("value of the 'size' attribute of 'mtu' element must be at most 100000")),
        ("<interface type='ethernet' name='e'><protocol/></interface>", iface("protocol misses the family attribute")),
        ("<interface type='ethernet' name='e'><protocol family='IPv4'/></interface>", iface("unsupported protocol family 'IPv4'")),
        ("<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='1' prefix='2147483648'/></protocol></interface>",
            generic("Invalid value for attribute 'prefix' in element 'ip': '2147483648'. Expected integer value")),
        ("<interface type='ethernet' name='e'><link state='x' speed='y'/></interface>", generic("Invalid value for attribute 'state' in element 'link': 'x'.")),
        ("<interface type='ethernet' name='e'><link speed='-1'/></interface>",
            generic("Invalid value for attribute 'speed' in element 'link': '-1'. Expected non-negative integer value")),
        ("<interface type='bridge' name='b'><bridge><interface type='bridge'/></bridge></interface>", iface("interface has unsupported type 'bridge'")),
        ("<interface type='bond' name='b'><bond><interface type='vlan' name='v'/></bond></interface>", iface("interface has unsupported type 'vlan'")),
        ("<interface type='bond' name='b'><bond mode='x'><interface type='ethernet'/></bond></interface>", iface("unknown bonding mode x")),
        ("<interface type='bond' name='b'><bond><interface type='ethernet'/><miimon freq='x'/></bond></interface>", iface("interface has no name")),
        ("<interface type='bond' name='b'><bond><miimon freq=''/></bond></interface>", iface("bond interface miimon freq missing or invalid")),
        ("<interface type='bond' name='b'><bond><miimon freq='1' carrier='x' updelay='y' downdelay='z'/></bond></interface>", iface("bond interface miimon downdelay invalid")),
        ("<interface type='bond' name='b'><bond><miimon freq='1' carrier='x'/></bond></interface>", iface("unknown mii bonding carrier x")),
        ("<interface type='bond' name='b'><bond><arpmon target='t'/></bond></interface>", iface("bond interface arpmon interval missing or invalid")),
        ("<interface type='bond' name='b'><bond><arpmon interval='0' target=''/></bond></interface>", iface("bond interface arpmon target missing")),
        ("<interface type='bond' name='b'><bond><arpmon interval='5' target='t' validate='none'/></bond></interface>", iface("unknown arp bonding validate none")),
    ] {
        assert_eq!(err(xml), want, "{xml}");
    }
}

#[test]
fn a_bad_mtu_fails_without_a_cause_and_a_broken_document_with_libxml2s_text() {
    for size in ["x", "-1", "4294967296", "0x5"] {
        let e = InterfaceDef::parse(&format!(
            "<interface type='ethernet' name='e'><mtu size='{size}'/></interface>"
        ))
        .unwrap_err();
        assert_eq!(e, Error::unknown_cause());
    }
    assert_eq!(
        err("<interface"),
        (
            VIR_ERR_XML_DETAIL,
            VIR_FROM_INTERFACE,
            "(interface_definition):1: Couldn't find end of Start Tag interface line 1\n<interface\n----------^".into()
        )
    );
}

#[test]
fn lenient_values_libvirt_accepts() {
    assert_eq!(
        round("<interface type='ethernet' name='e'><mtu size=' +5'/><start mode=''/><mac/><link speed='0' state=''/>\
            <protocol family='ipv4'><ip prefix='x'/><ip address='' prefix=' +3'/><route/></protocol></interface>"),
        "<interface type='ethernet' name='e'>\n  <mtu size='5'/>\n  <protocol family='ipv4'>\n    <ip address='' prefix='3'/>\n  </protocol>\n</interface>\n"
    );
    assert_eq!(
        round("<x:interface xmlns:x='urn:x' type='ethernet' name=''/>"),
        "<interface type='ethernet' name=''>\n</interface>\n"
    );
}
