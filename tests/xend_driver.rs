//! The Xen driver (`xen:///`) against the XenD test server: listing, lookups,
//! info and XML against what the server reports, life cycle transitions as
//! the server sees them, xm config files for old XenDs, spoiled replies, and
//! native conversions on the connection.

mod xend;

use virt::abi::*;
use virt::connect::Connection;
use virt::domain::{self, FormatOptions, Uuid};
use virt::driver::DomainRef;
use virt::error::{Error, Result};
use virt::native::xen::sxpr;
use xend::{env_lock, sexpr_file, Server};

fn open(server: &Server) -> Connection {
    server.point_env();
    Connection::open(Some("xen:///"), None, 0).unwrap()
}

fn expect_err<T: std::fmt::Debug>(r: Result<T>) -> Error {
    r.expect_err("expected an error, the call succeeded")
}

fn standard_server(tag: &str) -> Server {
    let pv = sexpr_file("pv");
    let fv = sexpr_file("fv");
    Server::start(
        tag,
        &["--domain", pv.to_str().unwrap(), "--domain", fv.to_str().unwrap()],
    )
}

/// The XML the sxpr converter makes of the server's s-expression.
fn expected_xml(server: &Server, name: &str) -> String {
    let text = server.domain_sexpr(name);
    let parsed = sxpr::parse_with(&text, &sxpr::Context::default()).unwrap();
    domain::format(
        &parsed.def,
        &FormatOptions {
            id: parsed.id,
            ..Default::default()
        },
    )
}

const PV_BOOTLOADER: &str = "<domain type='xen'>
  <name>fc8</name>
  <bootloader>/usr/bin/pygrub</bootloader>
  <os>
    <type>linux</type>
  </os>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <devices>
    <disk type='file'>
      <source file='/var/lib/xen/images/fc4.img'/>
      <target dev='sda1'/>
    </disk>
    <interface type='bridge'>
      <source bridge='xenbr0'/>
      <mac address='aa:00:00:00:00:11'/>
      <script path='/etc/xen/scripts/vif-bridge'/>
    </interface>
    <console tty='/dev/pts/5'/>
  </devices>
</domain>";

const PV_KERNEL: &str = "<domain type='xen'>
  <name>fc8</name>
  <os>
    <type>linux</type>
    <kernel>/var/lib/xen/install/vmlinuz-fedora8-x86_64</kernel>
    <initrd>/var/lib/xen/install/initrd-vmlinuz-fedora8-x86_64</initrd>
    <cmdline> kickstart=http://example.com/myguest.ks </cmdline>
  </os>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <devices>
    <disk type='file'>
      <source file='/var/lib/xen/images/fc4.img'/>
      <target dev='sda1'/>
    </disk>
    <interface type='bridge'>
      <source bridge='xenbr0'/>
      <mac address='aa:00:00:00:00:11'/>
      <script path='/etc/xen/scripts/vif-bridge'/>
    </interface>
    <graphics type='vnc' port='-1'/>
    <console tty='/dev/pts/5'/>
  </devices>
</domain>";

const HVM_DEVICES: &str = "  <devices>
    <emulator>/usr/lib/xen/bin/qemu-dm</emulator>
    <interface type='bridge'>
      <source bridge='xenbr0'/>
      <mac address='00:16:3e:5d:c7:9e'/>
      <script path='vif-bridge'/>
    </interface>
    <disk type='file'>
      <source file='/var/lib/xen/images/fv0'/>
      <target dev='hda'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/var/lib/xen/images/fc5-x86_64-boot.iso'/>
      <target dev='hdc'/>
      <readonly/>
    </disk>
    <disk type='file' device='floppy'>
      <source file='/root/fd.img'/>
      <target dev='fda'/>
    </disk>
    <graphics type='vnc' port='5904'/>
  </devices>
</domain>";

fn hvm(os_extra: &str) -> String {
    format!(
        "<domain type='xen' id='3'>
  <name>fv0</name>
  <uuid>4dea22b31d52d8f32516782e98ab3fa0</uuid>
  <os>
    <type>hvm</type>
    <loader>/usr/lib/xen/boot/hvmloader</loader>
{os_extra}  </os>
  <memory>524288</memory>
  <vcpu>1</vcpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <features>
    <pae/>
    <acpi/>
    <apic/>
  </features>
  <clock sync=\"localtime\"/>
{HVM_DEVICES}"
    )
}

/// The seed's four example guests.
fn seed_guests() -> Vec<(&'static str, String)> {
    vec![
        ("pv-bootloader", PV_BOOTLOADER.to_string()),
        ("pv-kernel", PV_KERNEL.to_string()),
        ("hvm-bios", hvm("    <boot dev='hd'/>\n")),
        (
            "hvm-kernel",
            hvm("    <kernel>/var/lib/xen/install/vmlinuz-fedora8-x86_64</kernel>\n    <initrd>/var/lib/xen/install/initrd-vmlinuz-fedora8-x86_64</initrd>\n    <cmdline> kickstart=http://example.com/myguest.ks </cmdline>\n"),
        ),
    ]
}

#[test]
fn node_version_and_capabilities_come_from_xend() {
    let _env = env_lock();
    let server = Server::start("node", &["--xen-version", "3.2.1-rc2"]);
    let conn = open(&server);
    let d = conn.driver();
    assert_eq!(d.kind(), "Xen");
    assert_eq!(d.version().unwrap(), 3_002_001);
    assert_eq!(d.hostname().unwrap(), "xenhost.example.com");
    let node = d.node_info().unwrap();
    assert_eq!(
        (
            node.model.as_str(),
            node.memory,
            node.cpus,
            node.mhz,
            node.nodes,
            node.sockets,
            node.cores,
            node.threads
        ),
        ("x86_64", 8191 * 1024, 4, 2394, 1, 2, 2, 1)
    );
    let caps = d.capabilities().unwrap();
    for want in [
        "<os_type>xen</os_type>",
        "<os_type>hvm</os_type>",
        "<arch name='i686'>",
        "<arch name='x86_64'>",
        "hvmloader",
        "<domain type='xen'/>",
    ] {
        assert!(caps.contains(want), "{want} missing from\n{caps}");
    }
}

#[test]
fn lists_lookups_info_and_xml_follow_the_server() {
    let _env = env_lock();
    let server = standard_server("list");
    let conn = open(&server);
    let d = conn.driver();
    let state = server.state();
    let mut ids = d.list_domains().unwrap();
    ids.sort();
    let mut want: Vec<i32> = state.values().filter(|s| s.domid >= 0).map(|s| s.domid).collect();
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(d.num_of_domains().unwrap() as usize, want.len());
    assert_eq!(d.num_of_defined_domains().unwrap(), 0);
    for (name, s) in &state {
        let r = d.domain_lookup_by_name(name).unwrap();
        assert_eq!(r.id, s.domid, "{name}");
        assert_eq!(d.domain_lookup_by_id(s.domid).unwrap(), r);
        assert_eq!(d.domain_lookup_by_uuid(&r.uuid).unwrap(), r);
        let info = d.domain_get_info(&r).unwrap();
        assert_eq!(
            (info.memory, info.max_mem),
            (s.memory * 1024, s.maxmem * 1024),
            "{name}"
        );
        assert_eq!(info.nr_virt_cpu, s.online, "{name}");
        assert_eq!(d.domain_get_max_vcpus(&r).unwrap() as u32, s.vcpus);
        if name != "Domain-0" {
            assert_eq!(info.cpu_time, 12_250_000_000, "{name}");
            assert_eq!(info.state, VIR_DOMAIN_BLOCKED);
            assert_eq!(d.domain_get_xml_desc(&r, 0).unwrap(), expected_xml(&server, name));
        } else {
            assert_eq!(info.state, VIR_DOMAIN_RUNNING);
        }
    }
    let pv = d.domain_lookup_by_name("pvtest").unwrap();
    // XenD's "linux" image is libvirt's "xen" OS type.
    assert_eq!(d.domain_get_os_type(&pv).unwrap(), "xen");
    let fv = d.domain_lookup_by_name("fvtest").unwrap();
    assert_eq!(d.domain_get_os_type(&fv).unwrap(), "hvm");
    let xml = d.domain_get_xml_desc(&pv, 0).unwrap();
    assert!(
        xml.starts_with(&format!("<domain type='xen' id='{}'>", pv.id)),
        "{xml}"
    );
    assert!(!d
        .domain_get_xml_desc(&pv, VIR_DOMAIN_XML_INACTIVE)
        .unwrap()
        .contains(" id="));
    let all = d.list_all_domains(0).unwrap();
    assert_eq!(all.len(), state.len());
    assert_eq!(
        d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_INACTIVE).unwrap(),
        vec![]
    );

    let e = expect_err(d.domain_lookup_by_name("nosuch"));
    assert_eq!((e.code, e.domain), (VIR_ERR_NO_DOMAIN, VIR_FROM_XEN));
    assert!(e.message.contains("'nosuch'"), "{e}");
    assert_eq!(expect_err(d.domain_lookup_by_id(999)).code, VIR_ERR_NO_DOMAIN);
    let stale = DomainRef {
        uuid: Uuid::generate(),
        ..pv.clone()
    };
    assert_eq!(expect_err(d.domain_get_info(&stale)).code, VIR_ERR_NO_DOMAIN);
}

#[test]
fn managed_life_cycle_as_the_server_sees_it() {
    let _env = env_lock();
    let server = standard_server("life");
    let conn = open(&server);
    let d = conn.driver();
    let xml = PV_KERNEL.replace("<name>fc8</name>", "<name>guest1</name>");
    let r = d.domain_define_xml(&xml, 0).unwrap();
    let s = &server.state()["guest1"];
    assert_eq!((s.domid, s.state.as_str(), s.managed), (-1, "shutoff", true));
    assert_eq!((s.memory, s.vcpus), (128, 1));
    assert_eq!(r.id, -1);
    assert_eq!(d.list_defined_domains().unwrap(), vec!["guest1".to_string()]);
    assert!(d.domain_is_persistent(&r).unwrap());
    assert!(!d.domain_is_active(&r).unwrap());
    assert_eq!(d.domain_get_info(&r).unwrap().state, VIR_DOMAIN_SHUTOFF);
    // The definition survives the trip through XenD.
    let inactive = d.domain_get_xml_desc(&r, VIR_DOMAIN_XML_INACTIVE).unwrap();
    assert!(
        inactive.contains("<kernel>/var/lib/xen/install/vmlinuz-fedora8-x86_64</kernel>"),
        "{inactive}"
    );

    let started = d.domain_create(&r, 0).unwrap();
    let s = server.state()["guest1"].clone();
    assert_eq!(s.state, "running");
    assert_eq!(started.id, s.domid);
    assert_eq!(d.domain_lookup_by_id(s.domid).unwrap().name, "guest1");

    d.domain_suspend(&started).unwrap();
    assert_eq!(server.state()["guest1"].state, "paused");
    assert_eq!(d.domain_get_state(&started, 0).unwrap().0, VIR_DOMAIN_PAUSED);
    assert_eq!(
        d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_PAUSED).unwrap(),
        vec![started.clone()]
    );
    d.domain_resume(&started).unwrap();
    assert_eq!(server.state()["guest1"].state, "running");

    d.domain_set_memory_flags(&started, 100 * 1024, 0).unwrap();
    assert_eq!(server.state()["guest1"].memory, 100);
    assert_eq!(d.domain_get_info(&started).unwrap().memory, 100 * 1024);
    d.domain_set_memory_flags(&started, 256 * 1024, VIR_DOMAIN_MEM_MAXIMUM)
        .unwrap();
    assert_eq!(server.state()["guest1"].maxmem, 256);
    let e = expect_err(d.domain_set_memory_flags(&started, 512 * 1024, 0));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    assert_eq!(
        server.state()["guest1"].memory,
        100,
        "a refused call changes nothing"
    );

    let e = expect_err(d.domain_set_vcpus_flags(&started, 2, 0));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG, "{e}");

    assert!(!d.domain_get_autostart(&started).unwrap());
    d.domain_set_autostart(&started, true).unwrap();
    assert!(server.state()["guest1"].autostart);
    assert!(d.domain_get_autostart(&started).unwrap());
    assert_eq!(
        server.state()["guest1"].state,
        "running",
        "autostart keeps it running"
    );

    // XenD refuses to delete a running domain; the error is XenD's own.
    let e = expect_err(d.domain_undefine(&started, 0));
    assert_eq!((e.code, e.domain), (VIR_ERR_POST_FAILED, VIR_FROM_XEND));
    assert!(e.message.contains("Domain is not halted."), "{e}");

    let before = server.state()["guest1"].domid;
    let after = d.domain_reboot(&started, 0).unwrap();
    assert_eq!(server.state()["guest1"].state, "running");
    assert_ne!(after, before, "a rebooted Xen domain gets a new id");
    let rebooted = d.domain_lookup_by_name("guest1").unwrap();

    assert_eq!(d.domain_shutdown(&rebooted, 0).unwrap(), -1);
    assert_eq!(server.state()["guest1"].state, "shutoff");
    let e = expect_err(d.domain_suspend(&rebooted));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);

    d.domain_undefine(&rebooted, 0).unwrap();
    assert!(!server.state().contains_key("guest1"));
    assert_eq!(
        expect_err(d.domain_lookup_by_name("guest1")).code,
        VIR_ERR_NO_DOMAIN
    );

    // A transient domain: created, then gone when destroyed.
    let fv = d.domain_lookup_by_name("fvtest").unwrap();
    let fv_xml = d.domain_get_xml_desc(&fv, VIR_DOMAIN_XML_INACTIVE).unwrap();
    d.domain_destroy(&fv, 0).unwrap();
    assert_eq!(server.state()["fvtest"].state, "shutoff");
    let t = d
        .domain_create_xml(
            &fv_xml
                .replace("<name>fvtest</name>", "<name>temp</name>")
                .replace(
                    "b5d70dd2-75cd-aca5-1776-9660b059d8bc",
                    "b5d70dd2-75cd-aca5-1776-9660b059d8bd",
                ),
            0,
        )
        .unwrap();
    let s = server.state()["temp"].clone();
    assert_eq!((s.state.as_str(), s.managed, t.id), ("running", false, s.domid));
    d.domain_destroy(&t, 0).unwrap();
    assert!(!server.state().contains_key("temp"));
}

#[test]
fn vcpus_change_on_a_multi_vcpu_guest() {
    let _env = env_lock();
    let server = standard_server("vcpu");
    let conn = open(&server);
    let d = conn.driver();
    let pv = d.domain_lookup_by_name("pvtest").unwrap();
    assert_eq!(server.state()["pvtest"].online, 2);
    d.domain_set_vcpus_flags(&pv, 1, 0).unwrap();
    assert_eq!(server.state()["pvtest"].online, 1);
    assert_eq!(d.domain_get_vcpus_flags(&pv, 0).unwrap(), 1);
    assert_eq!(d.domain_get_vcpus_flags(&pv, VIR_DOMAIN_VCPU_MAXIMUM).unwrap(), 2);
    assert_eq!(d.domain_get_info(&pv).unwrap().nr_virt_cpu, 1);
    let xml = d.domain_get_xml_desc(&pv, 0).unwrap();
    assert!(
        xml.contains("<vcpu placement='static' current='1'>2</vcpu>"),
        "{xml}"
    );
    assert_eq!(xml, expected_xml(&server, "pvtest"));
}

#[test]
fn old_xend_keeps_inactive_domains_in_config_files() {
    let _env = env_lock();
    let server = Server::start("xm", &["--xen-version", "3.0.3", "--config-format", "2"]);
    let dir = server.config_dir();
    let good = "name = \"cfg1\"\nuuid = \"4dea22b3-1d52-d8f3-2516-782e98ab3fa1\"\nmemory = 256\nmaxmem = 256\nvcpus = 1\nkernel = \"/boot/vmlinuz\"\ndisk = [ \"file:/var/lib/xen/images/cfg1.img,xvda,w\" ]\n";
    std::fs::write(dir.join("cfg1"), good).unwrap();
    // Junk that must be skipped silently.
    std::fs::write(dir.join(".hidden"), good.replace("cfg1", "hidden")).unwrap();
    std::fs::write(dir.join("cfg1~"), good.replace("cfg1", "backup")).unwrap();
    std::fs::write(dir.join("old.rpmsave"), good.replace("cfg1", "rpmsave")).unwrap();
    std::fs::write(dir.join("xend-config.sxp"), "(xend-unix-server yes)\n").unwrap();
    std::fs::write(dir.join("broken"), "name = \"broken\nmemory = \n").unwrap();
    std::fs::write(dir.join("notes.txt"), "just some text\n").unwrap();
    std::fs::create_dir(dir.join("scripts")).unwrap();
    std::fs::create_dir(dir.join("auto")).unwrap();

    let conn = open(&server);
    let d = conn.driver();
    assert_eq!(d.version().unwrap(), 3_000_003);
    assert_eq!(d.list_defined_domains().unwrap(), vec!["cfg1".to_string()]);
    let r = d.domain_lookup_by_name("cfg1").unwrap();
    assert_eq!(r.id, -1);
    let info = d.domain_get_info(&r).unwrap();
    assert_eq!((info.state, info.memory), (VIR_DOMAIN_SHUTOFF, 256 * 1024));
    assert_eq!(d.domain_lookup_by_uuid(&r.uuid).unwrap(), r);
    let xml = d.domain_get_xml_desc(&r, 0).unwrap();
    assert!(xml.contains("<kernel>/boot/vmlinuz</kernel>"), "{xml}");

    // Start: XenD is given the definition (op=create) and runs it.
    let started = d.domain_create(&r, 0).unwrap();
    let s = server.state()["cfg1"].clone();
    assert_eq!(
        (s.state.as_str(), s.managed, started.id),
        ("running", false, s.domid)
    );
    assert!(d.list_defined_domains().unwrap().is_empty());
    assert!(d.domain_is_persistent(&started).unwrap());
    d.domain_destroy(&started, 0).unwrap();
    assert!(!server.state().contains_key("cfg1"));
    assert_eq!(d.list_defined_domains().unwrap(), vec!["cfg1".to_string()]);

    // Define writes a config file, undefine removes it.
    let xml = PV_BOOTLOADER.replace("<name>fc8</name>", "<name>newguest</name>");
    let r = d.domain_define_xml(&xml, 0).unwrap();
    let text = std::fs::read_to_string(dir.join("newguest")).unwrap();
    assert!(text.contains("name = \"newguest\""), "{text}");
    assert!(text.contains("bootloader = \"/usr/bin/pygrub\""), "{text}");
    assert!(!server.state().contains_key("newguest"), "XenD is not told");
    let mut names = d.list_defined_domains().unwrap();
    names.sort();
    assert_eq!(names, ["cfg1", "newguest"]);
    let e = expect_err(d.domain_set_autostart(&r, true));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    d.domain_undefine(&r, 0).unwrap();
    assert!(!dir.join("newguest").exists());
    assert!(
        dir.join("broken").exists() && dir.join("cfg1~").exists(),
        "junk is left alone"
    );
}

#[test]
fn spoiled_replies_give_clear_errors_and_change_nothing() {
    let _env = env_lock();
    let server = standard_server("bad");
    let conn = open(&server);
    let d = conn.driver();
    let pv = d.domain_lookup_by_name("pvtest").unwrap();

    server.fault("truncate", 1);
    let e = expect_err(d.domain_get_info(&pv));
    assert_eq!(e.domain, VIR_FROM_XEND);
    assert!(e.message.contains("truncated"), "{e}");

    server.fault("garbage", 1);
    let e = expect_err(d.list_domains());
    assert!(e.message.contains("not an HTTP reply"), "{e}");

    server.fault("close", 1);
    let e = expect_err(d.node_info());
    assert!(e.message.contains("closed without a reply"), "{e}");

    server.fault("err200", 1);
    let e = expect_err(d.domain_suspend(&pv));
    assert!(
        e.message.contains("error from xen daemon: injected failure"),
        "{e}"
    );

    let before = server.state();
    server.fault("err200", 1);
    let e = expect_err(d.domain_set_memory_flags(&pv, 200 * 1024, 0));
    assert_eq!(e.domain, VIR_FROM_XEND);
    // The fault hit the look-up, so the operation was never sent.
    assert_eq!(server.state(), before);

    server.fault("unbalanced", 1);
    let e = expect_err(d.domain_get_info(&pv));
    assert!(e.message.contains("not a valid s-expression"), "{e}");
    assert!(e.message.contains("unclosed parenthes"), "{e}");

    server.fault("badvalue", 1);
    let e = expect_err(d.list_all_domains(0));
    assert!(
        e.message
            .contains("invalid unsigned integer 'lots' for domain/memory"),
        "{e}"
    );

    // Everything works again afterwards.
    assert_eq!(d.domain_get_info(&pv).unwrap().memory, 420 * 1024);

    // Errors XenD raises come back with its message.
    let e = expect_err(d.domain_xml_to_native("vmware-vmx", PV_KERNEL, 0));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    let e = expect_err(d.domain_define_xml("<domain type='xen'><name>x</name>", 0));
    assert_eq!(e.code, VIR_ERR_XML_DETAIL, "{e}");
    assert_eq!(server.state(), before);
}

#[test]
fn xend_over_tcp() {
    let _env = env_lock();
    let server = Server::start("tcp", &["--tcp"]);
    let port = server.port.unwrap();
    std::env::remove_var("LIBVIRT_XEND_SOCKET");
    std::env::set_var("LIBVIRT_XEND_HTTP", format!("127.0.0.1:{port}"));
    let conn = Connection::open(Some("xen:///"), None, 0).unwrap();
    std::env::remove_var("LIBVIRT_XEND_HTTP");
    let d = conn.driver();
    assert_eq!(d.version().unwrap(), 4_001_002);
    assert_eq!(d.list_domains().unwrap(), vec![0]);
    assert!(!d.is_secure().unwrap(), "plain HTTP");
}

#[test]
fn connecting_without_xend_fails_clearly() {
    let _env = env_lock();
    let missing = std::env::temp_dir().join(format!("no-xend-{}", std::process::id()));
    std::env::set_var("LIBVIRT_XEND_SOCKET", &missing);
    let e = Connection::open(Some("xen:///"), None, 0).err().unwrap();
    assert_eq!(e.domain, VIR_FROM_XEND);
    assert!(e.message.contains("failed to connect to xend"), "{e}");
    assert!(e.message.contains(missing.to_str().unwrap()), "{e}");
    std::env::remove_var("LIBVIRT_XEND_SOCKET");
    std::env::set_var("LIBVIRT_XEND_HTTP", "localhost:notaport");
    let e = Connection::open(Some("xen:///"), None, 0).err().unwrap();
    assert_eq!(e.code, VIR_ERR_INVALID_ARG, "{e}");
    std::env::remove_var("LIBVIRT_XEND_HTTP");
}

#[test]
fn native_formats_convert_on_the_connection() {
    let _env = env_lock();
    let server = Server::start("native", &[]);
    let conn = open(&server);
    let d = conn.driver();
    let mut converted = 0;
    for (name, xml) in seed_guests() {
        for format in ["xen-xm", "xen-xl", "xen-sxpr"] {
            let native = d
                .domain_xml_to_native(format, &xml, 0)
                .unwrap_or_else(|e| panic!("{name} {format}: {e}"));
            let back = d
                .domain_xml_from_native(format, &native, 0)
                .unwrap_or_else(|e| panic!("{name} {format}: {e}\n{native}"));
            // Converted out and back again, the XML stays the same (the
            // first trip may fill in defaults, such as a disk's driver).
            let again = d.domain_xml_to_native(format, &back, 0).unwrap();
            let back2 = d.domain_xml_from_native(format, &again, 0).unwrap();
            assert_eq!(back2, back, "{name} {format}");
            assert_eq!(
                d.domain_xml_to_native(format, &back2, 0).unwrap(),
                again,
                "{name} {format}"
            );
            for kept in ["<memory unit='KiB'>", "/var/lib/xen/images/"] {
                assert!(back.contains(kept), "{name} {format}: {kept} lost\n{back}");
            }
            converted += 1;
        }
    }
    assert_eq!(converted, 12);

    let e = expect_err(d.domain_xml_from_native("xen-xm", "name = \"x\"\nmemory = (\n", 0));
    assert!(
        e.message.contains("conf:2: expecting a value"),
        "the error names the line: {e}"
    );
    let e = expect_err(d.domain_xml_from_native("xen-sxpr", "(vm (name 'x')", 0));
    assert_eq!(e.domain, VIR_FROM_SEXPR, "{e}");
    let e = expect_err(d.domain_xml_from_native("vmware-vmx", "x = \"y\"", 0));
    assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_XEN));
}

#[test]
fn seed_guests_defined_through_xend_read_back_as_xend_reports_them() {
    let _env = env_lock();
    let server = Server::start("seed", &[]);
    let conn = open(&server);
    let d = conn.driver();
    for (i, (name, xml)) in seed_guests().into_iter().enumerate() {
        let guest = format!("seed{i}");
        let uuid = format!("4dea22b3-1d52-d8f3-2516-782e98ab3f{i:02}");
        let xml = xml
            .replace("<name>fc8</name>", &format!("<name>{guest}</name>"))
            .replace("<name>fv0</name>", &format!("<name>{guest}</name>"))
            .replace("4dea22b31d52d8f32516782e98ab3fa0", &uuid);
        let xml = if xml.contains("<uuid>") {
            xml
        } else {
            xml.replace("</name>", &format!("</name>\n  <uuid>{uuid}</uuid>"))
        };
        let r = d
            .domain_define_xml(&xml, 0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.uuid.to_string(), uuid, "{name}");
        assert_eq!(server.state()[&guest].state, "shutoff", "{name}");
        assert_eq!(
            d.domain_get_xml_desc(&r, 0).unwrap(),
            expected_xml(&server, &guest),
            "{name}"
        );
        let started = d.domain_create(&r, 0).unwrap();
        assert_eq!(server.state()[&guest].state, "running", "{name}");
        assert_eq!(
            d.domain_get_xml_desc(&started, 0).unwrap(),
            expected_xml(&server, &guest),
            "{name}"
        );
        d.domain_destroy(&started, 0).unwrap();
        d.domain_undefine(&r, 0).unwrap();
        assert!(!server.state().contains_key(&guest), "{name}");
    }
    let dom0 = d.domain_lookup_by_id(0).unwrap();
    assert_eq!(dom0.name, "Domain-0");
    let xml = d.domain_get_xml_desc(&dom0, 0);
    assert!(xml.is_ok(), "{xml:?}");
}
