//! The ESX driver's domain XML against vcsim: defining a domain (XML → VMX,
//! upload, RegisterVM), reading its XML back (VMX download → XML), and
//! undefining it.  These need the VMX converter (src/native/vmx).

mod esx;

use esx::oracle::Oracle;
use esx::sim::{Creds, Sim, SimOpts};
use virt::abi::*;
use virt::connect::Connection;

#[test]
fn define_dumpxml_undefine() {
    let sim = Sim::start(SimOpts {
        esx: true,
        ..Default::default()
    });
    let conn = Connection::open(
        Some(&sim.uri("esx", "", "?no_verify=1")),
        Some(&Creds::new("root", "pw")),
        0,
    )
    .unwrap();
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let ds = o.objects("Datastore", &["name"])[0]["name"].clone();
    let xml = format!(
        "<domain type='vmware'><name>defined-by-libvirt</name>\
         <uuid>50115e16-9bdc-49d7-f171-53c4d7f91710</uuid><memory>65536</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><devices>\
         <disk type='file' device='disk'><source file='[{ds}] defined-by-libvirt/disk.vmdk'/>\
         <target dev='sda' bus='scsi'/></disk><controller type='scsi' index='0' model='lsilogic'/>\
         </devices></domain>"
    );
    // vcsim registers a VM only when its directory already holds the NVRAM
    // and log files a real host would create itself.
    let dc = o.objects("Datacenter", &["name"])[0]["name"].clone();
    for file in ["defined-by-libvirt.nvram", "vmware.log"] {
        o.put_file(&dc, &format!("[{ds}] defined-by-libvirt/{file}"), "");
    }
    let dom = d.domain_define_xml(&xml, 0).unwrap();
    assert_eq!(dom.name, "defined-by-libvirt");
    let vm = o.vm("defined-by-libvirt", &["config.files.vmPathName"]);
    assert_eq!(
        vm["config.files.vmPathName"],
        format!("[{ds}] defined-by-libvirt/defined-by-libvirt.vmx")
    );
    let back = d.domain_get_xml_desc(&dom, 0).unwrap();
    assert!(back.contains("<name>defined-by-libvirt</name>"), "{back}");
    assert!(back.contains("<memory unit='KiB'>65536</memory>"), "{back}");
    assert!(
        back.contains(&format!("<source file='[{ds}] defined-by-libvirt/disk.vmdk'/>")),
        "{back}"
    );
    // The same conversions through virConnectDomainXMLToNative/FromNative.
    let vmx = d.domain_xml_to_native("vmware-vmx", &xml, 0).unwrap();
    assert!(vmx.contains("displayName = \"defined-by-libvirt\"\n"), "{vmx}");
    assert!(
        vmx.contains(&format!(
            "scsi0:0.fileName = \"/vmfs/volumes/{ds}/defined-by-libvirt/disk.vmdk\""
        )),
        "{vmx}"
    );
    let native = d.domain_xml_from_native("vmware-vmx", &vmx, 0).unwrap();
    assert!(native.contains("<name>defined-by-libvirt</name>"), "{native}");
    assert!(
        native.contains(&format!("<source file='[{ds}] defined-by-libvirt/disk.vmdk'/>")),
        "{native}"
    );
    let e = d.domain_xml_from_native("xen-xm", &vmx, 0).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_INVALID_ARG,
            "invalid argument: Unsupported config format 'xen-xm'"
        )
    );
    let e = d.domain_xml_to_native("vmware-vmx", &xml, 1).unwrap_err();
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    d.domain_undefine(&dom, 0).unwrap();
    assert!(o.vms(&[]).iter().all(|v| v["name"] != "defined-by-libvirt"));
    let e = d.domain_lookup_by_name("defined-by-libvirt").unwrap_err();
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
}
