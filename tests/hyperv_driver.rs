//! The Hyper-V driver end to end against the WS-Management test server
//! (tests/hyperv/server.rs), through the safe connection API, checked
//! against what the server holds.

mod hyperv;

use hyperv::server::{Mode, Opts, Server};
use hyperv::Creds;
use virt::abi::*;
use virt::auth::Auth;
use virt::connect::Connection;
use virt::domain::Uuid;
use virt::drivers::hyperv::HypervDriver;
use virt::error::{Error, Result};
use virt::uri::Uri;

const USER: &str = "administrator";
const PASS: &str = "Passw0rd!";

fn open(uri: &str) -> Result<Connection> {
    Connection::open(Some(uri), Some(&Creds::new(USER, PASS)), 0)
}

fn expect_err<T>(r: Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, the call succeeded"),
        Err(e) => e,
    }
}

/// A driver with short job timings, and its request counter.
fn driver(server: &Server, timeout_ms: u64) -> HypervDriver {
    let creds = Creds::new(USER, PASS);
    let uri = Uri::parse(&server.uri("")).unwrap();
    let mut d = HypervDriver::open(&uri, &Auth::new(Some(&creds), None), 0).unwrap();
    d.set_job_timing(
        std::time::Duration::from_millis(timeout_ms),
        std::time::Duration::from_millis(10),
    );
    d
}

#[test]
fn connects_and_describes_the_host() {
    let server = Server::start(Opts::default());
    let creds = Creds::new(USER, PASS);
    let conn = Connection::open(Some(&server.uri("")), Some(&creds), 0).unwrap();
    let d = conn.driver();
    assert_eq!(d.kind(), "Hyper-V");
    let os = &server.instances("Win32_OperatingSystem")[0];
    assert_eq!(os.get("Version"), Some("10.0.14393"));
    assert_eq!(d.version().unwrap(), 1_000_014_393);
    assert_eq!(d.hostname().unwrap(), "hyperv-test");
    let node = d.node_info().unwrap();
    assert_eq!(node.model, "Intel Xeon CPU E5-2670 0");
    assert_eq!(node.memory, 34359738368 / 1024);
    assert_eq!(
        (node.sockets, node.cores, node.threads, node.cpus, node.mhz),
        (2, 8, 2, 16, 2600)
    );
    assert_eq!(d.max_vcpus(None).unwrap(), 64);
    assert_eq!(
        d.node_get_free_memory().unwrap(),
        os.get("FreePhysicalMemory").unwrap().parse::<u64>().unwrap() * 1024
    );
    let caps = d.capabilities().unwrap();
    assert!(
        caps.contains("<uuid>4c4c4544-0035-4a10-8048-b2c04f4e3532</uuid>"),
        "{caps}"
    );
    assert!(caps.contains("<domain type='hyperv'/>"), "{caps}");
    assert!(!d.is_secure().unwrap() && !d.is_encrypted().unwrap() && d.is_alive().unwrap());
    // The user was asked with "administrator" offered, the host as challenge.
    let asked = creds.asked.lock().unwrap();
    assert_eq!(asked[0].kind, VIR_CRED_AUTHNAME);
    assert_eq!(asked[0].default.as_deref(), Some("administrator"));
    assert_eq!(asked[0].challenge.as_deref(), Some("127.0.0.1"));
    assert_eq!(asked[1].prompt, "Enter administrator's password for 127.0.0.1");
}

#[test]
fn uris_and_credentials_are_checked() {
    let server = Server::start(Opts::default());
    // virConnectOpen without a callback.
    let e = expect_err(Connection::open(Some(&server.uri("")), None, 0));
    assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_HYPERV));
    assert_eq!(e.message, "invalid argument: Missing or invalid auth pointer");
    // A wrong password is refused with the server's 401.
    let e = expect_err(Connection::open(
        Some(&server.uri("")),
        Some(&Creds::new(USER, "nope")),
        0,
    ));
    assert_eq!(
        (e.code, e.domain),
        (VIR_ERR_AUTH_FAILED, VIR_FROM_HYPERV),
        "{}",
        e.message
    );
    // Remote transports are refused with the seed's explanation.
    let e = expect_err(open("hyperv+ssh://example.com/"));
    assert_eq!(e.domain, VIR_FROM_HYPERV);
    assert!(e.message.contains("client-side only"), "{}", e.message);
    let e = expect_err(open(&format!(
        "hyperv://127.0.0.1:{}/?transport=ftp",
        server.port
    )));
    assert!(e.message.contains("should be http|https"), "{}", e.message);
    // HTTPS (the default) to a plain HTTP server fails cleanly.
    let e = expect_err(open(&format!("hyperv://127.0.0.1:{}/?no_verify=1", server.port)));
    assert_eq!(e.domain, VIR_FROM_HYPERV);
}

#[test]
fn lists_and_looks_up_domains() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let vms: Vec<_> = server
        .instances("Msvm_ComputerSystem")
        .into_iter()
        .filter(|v| v.get("Caption") == Some("Virtual Machine"))
        .collect();
    let all = d.list_all_domains(0).unwrap();
    assert_eq!(all.len(), vms.len());
    for vm in &vms {
        let name = vm.get("ElementName").unwrap();
        let r = all.iter().find(|r| r.name == name).unwrap();
        assert_eq!(r.uuid, Uuid::parse(vm.get("Name").unwrap()).unwrap());
        let by_name = d.domain_lookup_by_name(name).unwrap();
        assert_eq!(by_name, *r);
        assert_eq!(d.domain_lookup_by_uuid(&r.uuid).unwrap(), *r);
        match vm.get("ProcessID") {
            Some(pid) if vm.get("EnabledState") == Some("2") => {
                assert_eq!(r.id.to_string(), pid);
                assert_eq!(d.domain_lookup_by_id(r.id).unwrap(), *r);
            }
            _ => assert_eq!(r.id, -1),
        }
    }
    let running: Vec<_> = vms
        .iter()
        .filter(|v| v.get("EnabledState") == Some("2"))
        .collect();
    assert_eq!(d.num_of_domains().unwrap() as usize, running.len());
    assert_eq!(d.list_defined_domains().unwrap().len(), vms.len() - running.len());
    let active = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_ACTIVE).unwrap();
    assert_eq!(active.len(), running.len());
    let saved = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE).unwrap();
    assert_eq!(
        saved.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["saved01"]
    );
    // The name with XML-special characters survives the WQL and the XML.
    let special = d.domain_lookup_by_name("db & <backup>").unwrap();
    let xml = d.domain_get_xml_desc(&special, 0).unwrap();
    assert!(xml.contains("<name>db &amp; &lt;backup&gt;</name>"), "{xml}");
    let e = expect_err(d.domain_lookup_by_name("it's'not there"));
    assert_eq!((e.code, e.domain), (VIR_ERR_NO_DOMAIN, VIR_FROM_HYPERV));
    let e = expect_err(d.domain_lookup_by_id(999_999));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
}

#[test]
fn info_state_and_xml() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let web = d.domain_lookup_by_name("web01").unwrap();
    let info = d.domain_get_info(&web).unwrap();
    assert_eq!(info.state, VIR_DOMAIN_RUNNING);
    assert_eq!(
        (info.max_mem, info.memory, info.nr_virt_cpu),
        (2048 * 1024, 2048 * 1024, 2)
    );
    assert_eq!(d.domain_get_state(&web, 0).unwrap(), (VIR_DOMAIN_RUNNING, 0));
    assert_eq!(d.domain_get_os_type(&web).unwrap(), "hvm");
    assert_eq!(d.domain_get_vcpus_flags(&web, 0).unwrap(), 2);
    let xml = d.domain_get_xml_desc(&web, 0).unwrap();
    assert!(xml.starts_with("<domain type='hyperv' id='"), "{xml}");
    assert!(xml.contains("<memory unit='KiB'>2097152</memory>"), "{xml}");
    assert!(xml.contains("<vcpu placement='static'>2</vcpu>"), "{xml}");
    // COM 1 is connected to a named pipe; the synthetic display is a video.
    assert!(xml.contains("<serial type='pipe'>"), "{xml}");
    assert!(xml.contains("<source path='\\\\.\\pipe\\web01-com1'/>"), "{xml}");
    assert!(xml.contains("<video>"), "{xml}");
    let saved = d.domain_lookup_by_name("saved01").unwrap();
    assert_eq!(d.domain_get_state(&saved, 0).unwrap().0, VIR_DOMAIN_SHUTOFF);
    assert!(d.domain_has_managed_save_image(&saved, 0).unwrap());
    assert!(!d.domain_has_managed_save_image(&web, 0).unwrap());
    let sched = d.domain_get_scheduler_parameters(&web, 0).unwrap();
    let names: Vec<_> = sched.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["limit", "reservation", "weight"]);
    assert_eq!(
        d.domain_get_scheduler_type(&web).unwrap(),
        ("allocation".to_string(), 3)
    );
    assert!(!d.domain_get_autostart(&web).unwrap());
}

fn enabled(server: &Server, name: &str) -> String {
    server.vm(name).unwrap().get("EnabledState").unwrap().to_string()
}

#[test]
fn power_transitions_go_through_jobs() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let web = d.domain_lookup_by_name("web01").unwrap();
    d.domain_suspend(&web).unwrap();
    assert_eq!(enabled(&server, "web01"), "9");
    assert_eq!(d.domain_get_state(&web, 0).unwrap().0, VIR_DOMAIN_PAUSED);
    let e = expect_err(d.domain_suspend(&web));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    d.domain_resume(&web).unwrap();
    assert_eq!(enabled(&server, "web01"), "2");
    d.domain_reboot(&web, 0).unwrap();
    d.domain_reset(&web, 0).unwrap();
    d.domain_shutdown(&web, 0).unwrap();
    assert_eq!(enabled(&server, "web01"), "3");
    let e = expect_err(d.domain_destroy(&web, 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    let started = d.domain_create(&web, 0).unwrap();
    assert!(started.id > 0);
    assert_eq!(enabled(&server, "web01"), "2");
    d.domain_managed_save(&web, 0).unwrap();
    assert_eq!(enabled(&server, "web01"), "6");
    assert!(d.domain_has_managed_save_image(&web, 0).unwrap());
    d.domain_managed_save_remove(&web, 0).unwrap();
    assert_eq!(enabled(&server, "web01"), "3");
    let e = expect_err(d.domain_managed_save_remove(&web, 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    d.domain_create(&web, 0).unwrap();
    d.domain_destroy(&web, 0).unwrap();
    assert_eq!(enabled(&server, "web01"), "3");
}

#[test]
fn memory_vcpus_and_autostart_are_modified() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let db = d.domain_lookup_by_name("db & <backup>").unwrap();
    let guid = server
        .vm("db & <backup>")
        .unwrap()
        .get("Name")
        .unwrap()
        .to_string();
    let mem_of = |prop: &str| {
        server
            .instances("Msvm_MemorySettingData")
            .into_iter()
            .find(|m| m.get("InstanceID").unwrap().contains(&guid))
            .unwrap()
            .get(prop)
            .unwrap()
            .to_string()
    };
    // 3000 MiB + 1 KiB rounds up to 3002 MiB (even).
    d.domain_set_memory_flags(&db, 3000 * 1024 + 1, 0).unwrap();
    assert_eq!(mem_of("VirtualQuantity"), "3002");
    d.domain_set_memory_flags(&db, 8192 * 1024, VIR_DOMAIN_MEM_MAXIMUM)
        .unwrap();
    assert_eq!(mem_of("Limit"), "8192");
    let info = d.domain_get_info(&db).unwrap();
    assert_eq!((info.memory, info.max_mem), (3002 * 1024, 8192 * 1024));
    d.domain_set_vcpus_flags(&db, 6, 0).unwrap();
    assert_eq!(d.domain_get_vcpus_flags(&db, 0).unwrap(), 6);
    let e = expect_err(d.domain_set_vcpus_flags(&db, 65, 0));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    d.domain_set_autostart(&db, true).unwrap();
    assert!(d.domain_get_autostart(&db).unwrap());
    let auto = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_AUTOSTART).unwrap();
    assert_eq!(
        auto.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["db & <backup>"]
    );
    d.domain_set_autostart(&db, false).unwrap();
    assert!(!d.domain_get_autostart(&db).unwrap());
}

#[test]
fn define_and_undefine() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let xml = "<domain type='hyperv'><name>new &amp; 'quoted'</name><memory unit='MiB'>1024</memory>\
               <vcpu>2</vcpu><os><type>hvm</type></os><devices>\
               <disk type='file' device='disk'><source file='C:\\VMs\\new.vhdx'/><target dev='hda' bus='ide'/></disk>\
               <interface type='bridge'><mac address='00:15:5d:01:02:03'/><source bridge='External Switch'/></interface>\
               </devices></domain>";
    let r = d.domain_define_xml(xml, 0).unwrap();
    assert_eq!(r.name, "new & 'quoted'");
    assert_eq!(r.id, -1);
    let info = d.domain_get_info(&r).unwrap();
    assert_eq!((info.max_mem, info.nr_virt_cpu), (1024 * 1024, 2));
    let out = d.domain_get_xml_desc(&r, 0).unwrap();
    assert!(out.contains("<source file='C:\\VMs\\new.vhdx'/>"), "{out}");
    assert!(out.contains("<target dev='hda' bus='ide'/>"), "{out}");
    assert!(out.contains("<mac address='00:15:5d:01:02:03'/>"), "{out}");
    assert!(out.contains("<source bridge='External Switch'/>"), "{out}");
    // Defining the same name again is refused before anything is created.
    let before = server.instances("Msvm_ComputerSystem").len();
    let e = expect_err(d.domain_define_xml(xml, 0));
    assert_eq!(e.code, VIR_ERR_DOM_EXIST);
    assert_eq!(server.instances("Msvm_ComputerSystem").len(), before);
    d.domain_undefine(&r, 0).unwrap();
    assert!(server.vm("new & 'quoted'").is_none());
    assert!(!server.instances("Msvm_MemorySettingData").iter().any(|m| m
        .get("InstanceID")
        .unwrap()
        .contains(&r.uuid.to_string().to_ascii_uppercase())));
    // A NIC on an unknown switch: the half-made VM is removed again.
    let bad = xml.replace("External Switch", "No Such Switch");
    let e = expect_err(d.domain_define_xml(&bad, 0));
    assert_eq!(e.code, VIR_ERR_NO_NETWORK);
    assert!(server.vm("new & 'quoted'").is_none());
    assert_eq!(server.instances("Msvm_ComputerSystem").len(), before - 1);
}

#[test]
fn devices_are_attached() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let db = d.domain_lookup_by_name("db & <backup>").unwrap();
    let disk = |file: &str, dev: &str| {
        format!(
            "<disk type='file' device='disk'><source file='{file}'/><target dev='{dev}' bus='ide'/></disk>"
        )
    };
    d.domain_attach_device(&db, &disk("C:\\VMs\\one.vhdx", "hdc"), None)
        .unwrap();
    // No free location named: the first free one (hda).
    d.domain_attach_device(
        &db,
        "<disk type='file' device='cdrom'><source file='C:\\iso\\x.iso'/><target dev='sdz'/></disk>",
        Some(VIR_DOMAIN_AFFECT_CONFIG),
    )
    .unwrap();
    d.domain_attach_device(
        &db,
        "<interface type='bridge'><mac address='00:15:5d:0a:0b:0c'/><source bridge='External Switch'/></interface>",
        None,
    )
    .unwrap();
    d.domain_attach_device(
        &db,
        "<serial type='pipe'><source path='\\\\.\\pipe\\db'/><target port='1'/></serial>",
        None,
    )
    .unwrap();
    let out = d.domain_get_xml_desc(&db, 0).unwrap();
    for want in [
        "<source file='C:\\VMs\\one.vhdx'/>\n      <target dev='hdc' bus='ide'/>",
        "<source file='C:\\iso\\x.iso'/>\n      <target dev='hda' bus='ide'/>",
        "<mac address='00:15:5d:0a:0b:0c'/>",
        "<source path='\\\\.\\pipe\\db'/>\n      <target port='1'/>",
    ] {
        assert!(out.contains(want), "{want} not in {out}");
    }
    // A taken location, a kind Hyper-V's driver does not attach, bad XML,
    // flags: refused, the VM unchanged.
    let drives = server.instances("Msvm_StorageAllocationSettingData").len();
    let e = expect_err(d.domain_attach_device(&db, &disk("C:\\two.vhdx", "hdc"), None));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID, "{}", e.message);
    let e = expect_err(d.domain_attach_device(&db, "<watchdog model='i6300esb'/>", None));
    assert_eq!(e.code, VIR_ERR_CONFIG_UNSUPPORTED);
    let e = expect_err(d.domain_attach_device(&db, "<disk", None));
    assert_eq!(e.code, VIR_ERR_XML_DETAIL);
    let e = expect_err(d.domain_attach_device(&db, &disk("C:\\two.vhdx", "hdd"), Some(4)));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    assert_eq!(
        server.instances("Msvm_StorageAllocationSettingData").len(),
        drives
    );
    assert_eq!(d.domain_get_xml_desc(&db, 0).unwrap(), out);
}

#[test]
fn networks_are_the_switches() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    assert_eq!(d.list_networks(true).unwrap(), ["External Switch"]);
    assert!(d.list_networks(false).unwrap().is_empty());
    let n = d.network_lookup_by_name("External Switch").unwrap();
    assert_eq!(
        n.uuid.to_string().to_ascii_uppercase(),
        "7D4A2D4F-6F7A-4B0F-9D35-3C4C7B1D2E11"
    );
    assert_eq!(d.network_lookup_by_uuid(&n.uuid).unwrap(), n);
    assert!(d
        .network_get_xml_desc(&n, 0)
        .unwrap()
        .contains("<name>External Switch</name>"));
    assert!(d.network_is_active(&n).unwrap() && d.network_is_persistent(&n).unwrap());
    assert_eq!(d.list_all_networks(0).unwrap(), vec![n]);
    let e = expect_err(d.network_lookup_by_name("nope"));
    assert_eq!(e.code, VIR_ERR_NO_NETWORK);
}

#[test]
fn windows_2008_r2_speaks_the_v1_namespace() {
    let server = Server::start(Opts {
        mode: Mode::V1,
        ..Opts::default()
    });
    let creds = Creds::new(USER, PASS);
    let uri = Uri::parse(&server.uri("")).unwrap();
    let drv = HypervDriver::open(&uri, &Auth::new(Some(&creds), None), 0).unwrap();
    assert_eq!(drv.wmi_version(), virt::drivers::hyperv::WmiVersion::V1);
    let conn = Connection::new(uri.format(), Box::new(drv), false);
    let d = conn.driver();
    assert_eq!(d.version().unwrap(), 601_007_601);
    let web = d.domain_lookup_by_name("web01").unwrap();
    d.domain_suspend(&web).unwrap();
    assert_eq!(enabled(&server, "web01"), "32768");
    d.domain_resume(&web).unwrap();
    d.domain_managed_save(&web, 0).unwrap();
    assert_eq!(enabled(&server, "web01"), "32769");
    assert!(d.domain_has_managed_save_image(&web, 0).unwrap());
    assert_eq!(d.list_networks(true).unwrap(), ["External Switch"]);
    // Memory and vCPUs go through 2008 R2's ModifyVirtualSystemResources.
    d.domain_set_memory_flags(&web, 1024 * 1024, 0).unwrap();
    d.domain_set_vcpus_flags(&web, 3, 0).unwrap();
    let info = d.domain_get_info(&web).unwrap();
    assert_eq!((info.memory, info.nr_virt_cpu), (1024 * 1024, 3));
    // What libvirt only does on 2012 and newer is refused.
    let e = expect_err(d.domain_define_xml(
        "<domain type='hyperv'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>",
        0,
    ));
    assert_eq!(e.code, VIR_ERR_NO_SUPPORT);
    let e = expect_err(d.domain_get_autostart(&web));
    assert_eq!(e.code, VIR_ERR_NO_SUPPORT);
    let e = expect_err(d.domain_screenshot(&web, 0, 0));
    assert_eq!(e.code, VIR_ERR_NO_SUPPORT);
    let e = expect_err(d.domain_attach_device(&web, "<serial type='pipe'/>", None));
    assert_eq!(e.code, VIR_ERR_NO_SUPPORT);
    assert!(server.vm("x").is_none());
}

#[test]
fn failing_and_endless_jobs_are_reported() {
    let server = Server::start(Opts {
        failing_methods: vec!["RequestStateChange".into()],
        ..Opts::default()
    });
    let d = driver(&server, 5000);
    let web = driver_ref(&d, "web01");
    let e = expect_err(virt::driver::Driver::domain_suspend(&d, &web));
    assert_eq!(e.domain, VIR_FROM_HYPERV);
    assert!(
        e.message
            .contains("Concrete job for RequestStateChange invocation is in error state"),
        "{}",
        e.message
    );
    // Nothing was applied.
    assert_eq!(enabled(&server, "web01"), "2");

    let server = Server::start(Opts {
        hang_jobs: true,
        ..Opts::default()
    });
    let d = driver(&server, 300);
    let web = driver_ref(&d, "web01");
    let e = expect_err(virt::driver::Driver::domain_suspend(&d, &web));
    assert_eq!((e.code, e.domain), (VIR_ERR_OPERATION_TIMEOUT, VIR_FROM_HYPERV));
    assert_eq!(
        e.message,
        "Timed out during operation: Timeout waiting for RequestStateChange invocation"
    );
    assert_eq!(enabled(&server, "web01"), "2");
}

fn driver_ref(d: &HypervDriver, name: &str) -> virt::driver::DomainRef {
    virt::driver::Driver::domain_lookup_by_name(d, name).unwrap()
}

#[test]
fn broken_servers_give_clear_errors() {
    // The connection closes when the client pulls the second batch.
    let server = Server::start(Opts {
        extra_vms: 600,
        ..Opts::default()
    });
    server.state.lock().unwrap().opts.close_on_pull = true;
    let d = driver(&server, 1000);
    let e = expect_err(virt::driver::Driver::list_all_domains(&d, 0));
    assert_eq!(e.domain, VIR_FROM_HYPERV);
    assert!(e.message.contains("curl_easy_perform"), "{}", e.message);
    // A reply that is not XML.
    server.state.lock().unwrap().opts.close_on_pull = false;
    server.state.lock().unwrap().opts.garbage_get = true;
    let mut job = virt::drivers::hyperv::wsman::Epr {
        resource_uri: String::new(),
        selectors: Vec::new(),
    };
    job.selectors.push(("InstanceID".into(), "x".into()));
    let e = d.raw_get("Msvm_ConcreteJob", &job.selectors).unwrap_err();
    assert!(
        e.message
            .contains("Could not parse the response of Get of Msvm_ConcreteJob"),
        "{}",
        e.message
    );
    // A reply cut in half.
    server.state.lock().unwrap().opts.truncate_enumerate = true;
    let e = expect_err(virt::driver::Driver::list_all_domains(&d, 0));
    assert!(
        e.message.contains("Could not parse the response of enumeration"),
        "{}",
        e.message
    );
}

#[test]
fn faults_name_the_problem() {
    let server = Server::start(Opts::default());
    let d = driver(&server, 1000);
    let client_err = d
        .raw_query("root/virtualization/v2", "SELECT * FROM Msvm_NoSuchClass")
        .unwrap_err();
    assert_eq!(
        (client_err.code, client_err.domain),
        (VIR_ERR_INTERNAL_ERROR, VIR_FROM_HYPERV)
    );
    assert!(
        client_err.message.contains("w:CannotProcessFilter"),
        "{}",
        client_err.message
    );
    assert!(
        client_err.message.contains("Invalid class 'Msvm_NoSuchClass'"),
        "{}",
        client_err.message
    );
    let e = d
        .raw_query("root/nowhere", "SELECT * FROM Msvm_ComputerSystem")
        .unwrap_err();
    assert!(e.message.contains("w:InvalidResourceURI"), "{}", e.message);
}

#[test]
fn listing_many_domains_costs_few_requests() {
    let server = Server::start(Opts {
        extra_vms: 500,
        ..Opts::default()
    });
    let d = driver(&server, 1000);
    let counter = d.request_counter();
    let before = counter.load(std::sync::atomic::Ordering::SeqCst);
    let all = virt::driver::Driver::list_all_domains(&d, 0).unwrap();
    assert_eq!(all.len(), 503);
    for r in &all {
        virt::driver::Driver::domain_get_info(&d, r).unwrap();
    }
    let used = counter.load(std::sync::atomic::Ordering::SeqCst) - before;
    // One enumeration in batches of 256 and two bulk settings reads, not
    // one request per VM.
    assert!(used <= 12, "{used} requests for 503 domains");
    assert!(server.count() >= used);
}

#[test]
fn https_checks_certificates_unless_told_not_to() {
    let server = Server::start(Opts {
        tls: true,
        ..Opts::default()
    });
    // The self-signed certificate is refused by default.
    let e = expect_err(open(&server.uri("")));
    assert_eq!(e.domain, VIR_FROM_HYPERV);
    assert!(
        e.message.contains("Peer certificate cannot be authenticated"),
        "{}",
        e.message
    );
    // no_verify=1 accepts it, and the connection says it is encrypted.
    let conn = open(&server.uri("&no_verify=1")).unwrap();
    let d = conn.driver();
    assert!(d.is_encrypted().unwrap() && d.is_secure().unwrap());
    assert_eq!(d.list_all_domains(0).unwrap().len(), 3);
}

fn windows_defaults(tls: bool) -> Server {
    Server::start(Opts {
        auth: vec!["Negotiate".into(), "Kerberos".into()],
        allow_unencrypted: false,
        tls,
        ..Opts::default()
    })
}

#[test]
fn ntlm_when_basic_is_off_sealed_over_http() {
    let server = windows_defaults(false);
    let creds = Creds::new(USER, PASS);
    let uri = Uri::parse(&server.uri("")).unwrap();
    let drv = HypervDriver::open(&uri, &Auth::new(Some(&creds), None), 0).unwrap();
    assert!(drv.uses_ntlm());
    let conn = Connection::new(uri.format(), Box::new(drv), false);
    let d = conn.driver();
    assert_eq!(d.list_all_domains(0).unwrap().len(), 3);
    let web = d.domain_lookup_by_name("web01").unwrap();
    d.domain_suspend(&web).unwrap();
    assert_eq!(enabled(&server, "web01"), "9");
    // Every SOAP request after the handshake went sealed.
    assert!(server.state.lock().unwrap().sealed >= 5);
    // A wrong password fails the NTLM handshake.
    let e = expect_err(Connection::open(
        Some(&server.uri("")),
        Some(&Creds::new(USER, "nope")),
        0,
    ));
    assert_eq!(
        (e.code, e.domain),
        (VIR_ERR_AUTH_FAILED, VIR_FROM_HYPERV),
        "{}",
        e.message
    );
    assert!(e.message.contains("NTLM"), "{}", e.message);
    // Forcing Basic where Windows refuses it fails clearly.
    let e = expect_err(open(&server.uri("&auth=basic")));
    assert_eq!(e.code, VIR_ERR_AUTH_FAILED);
    // A domain account name.
    let conn = Connection::open(
        Some(&server.uri("&auth=ntlm")),
        Some(&Creds::new(&format!("HYPERV-TEST\\{USER}"), PASS)),
        0,
    );
    assert!(conn.is_ok());
}

#[test]
fn ntlm_over_https_needs_no_sealing() {
    let server = windows_defaults(true);
    let conn = open(&server.uri("&no_verify=1")).unwrap();
    assert_eq!(conn.driver().list_all_domains(0).unwrap().len(), 3);
    assert_eq!(server.state.lock().unwrap().sealed, 0);
}

#[test]
fn keys_are_pressed_and_released() {
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let web = d.domain_lookup_by_name("web01").unwrap();
    // Ctrl+Alt+Del in Linux key codes.
    d.domain_send_key(&web, VIR_KEYCODE_SET_LINUX as u32, 10, &[29, 56, 111], 0)
        .unwrap();
    let keys: Vec<(String, u32)> = server
        .state
        .lock()
        .unwrap()
        .keys
        .iter()
        .map(|(_, m, c)| (m.clone(), *c))
        .collect();
    let want: Vec<(String, u32)> = [
        ("PressKey", 0xa2),
        ("PressKey", 0xa4),
        ("PressKey", 0x2e),
        ("ReleaseKey", 0x2e),
        ("ReleaseKey", 0xa4),
        ("ReleaseKey", 0xa2),
    ]
    .iter()
    .map(|(m, c)| (m.to_string(), *c))
    .collect();
    assert_eq!(keys, want);
    let e = expect_err(d.domain_send_key(&web, VIR_KEYCODE_SET_USB as u32, 0, &[4], 0));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    let off = d.domain_lookup_by_name("db & <backup>").unwrap();
    let e = expect_err(d.domain_send_key(&off, VIR_KEYCODE_SET_WIN32 as u32, 0, &[0x41], 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    assert_eq!(server.state.lock().unwrap().keys.len(), 6);
}

#[test]
fn screenshots_are_the_thumbnail_as_ppm() {
    use hyperv::server::{thumbnail_pixel, THUMB_H, THUMB_W};
    let server = Server::start(Opts::default());
    let conn = open(&server.uri("")).unwrap();
    let d = conn.driver();
    let web = d.domain_lookup_by_name("web01").unwrap();
    let (mime, pic) = d.domain_screenshot(&web, 0, 0).unwrap();
    let pic = pic.bytes().expect("the whole image at once");
    assert_eq!(mime, "image/x-portable-pixmap");
    let header = format!("P6\n{THUMB_W} {THUMB_H}\n255\n");
    assert!(pic.starts_with(header.as_bytes()));
    let body = &pic[header.len()..];
    assert_eq!(body.len(), (THUMB_W * THUMB_H * 3) as usize);
    // Each pixel's channels keep the server's RGB565 bits at their top.
    for (n, rgb) in body.chunks_exact(3).enumerate() {
        let p = thumbnail_pixel(n as u32 % THUMB_W, n as u32 / THUMB_W);
        let bits = [rgb[0] >> 3, rgb[1] >> 2, rgb[2] >> 3].map(u16::from);
        assert_eq!(bits, [p >> 11, (p >> 5) & 0x3f, p & 0x1f], "pixel {n}");
    }
    // Pure blue top-left, no blue at the bottom right.
    assert_eq!(&body[..3], &[0, 0, 255]);
    assert_eq!(body[body.len() - 1], 0);
    let e = expect_err(d.domain_screenshot(&web, 0, 1));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    let off = d.domain_lookup_by_name("db & <backup>").unwrap();
    let e = expect_err(d.domain_screenshot(&off, 0, 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
}

#[test]
fn credentials_come_from_auth_conf_first() {
    let server = Server::start(Opts::default());
    let dir = std::env::temp_dir().join(format!("hyperv-authconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("auth.conf");
    // The service is "hyperv", the host the URI's server.
    std::fs::write(
        &file,
        format!(
            "[credentials-hv]\nusername={USER}\npassword={PASS}\n\n[auth-hyperv-127.0.0.1]\ncredentials=hv\n"
        ),
    )
    .unwrap();
    let creds = Creds::new("nobody", "wrong");
    let uri = server.uri(&format!("&authfile={}", file.display()));
    let conn = Connection::open(Some(&uri), Some(&creds), 0);
    let _ = std::fs::remove_dir_all(&dir);
    let conn = conn.unwrap();
    assert_eq!(conn.driver().list_all_domains(0).unwrap().len(), 3);
    assert!(creds.asked.lock().unwrap().is_empty(), "the callback was asked");
}
