//! Migration between two hosts of one vCenter (the simulator's cluster),
//! through the safe API and through the C API (`virDomainMigrate`), checked
//! against where the simulator says the VM runs.

mod esx;

use esx::expect_err;
use esx::oracle::Oracle;
use esx::sim::{Creds, Sim, SimOpts};
use virt::abi::*;
use virt::connect::Connection;
use virt::migrate::{migrate, Request};

fn request(flags: u32, dname: Option<&'static str>, uri: Option<&'static str>) -> Request<'static> {
    Request {
        func: "virDomainMigrate",
        flags: u64::from(flags),
        dname,
        uri,
        bandwidth: 0,
        dxml: None,
    }
}

#[test]
fn a_vm_moves_to_another_host_of_the_vcenter() {
    let sim = Sim::start(SimOpts::default());
    let o = Oracle::new(sim.port, false, "u", "p");
    let hosts = o.cluster_hosts();
    assert!(
        hosts.len() >= 2,
        "the simulator's cluster has {} hosts",
        hosts.len()
    );
    let creds = Creds::new("administrator", "pw");
    let open =
        |path: &str| Connection::open(Some(&sim.uri("vpx", path, "?no_verify=1")), Some(&creds), 0).unwrap();
    let src = open(&hosts[0].1);
    let dst = open(&hosts[1].1);
    assert!(
        src.driver().supports_feature(1).unwrap(),
        "MIGRATION_V1 through a vCenter"
    );
    let doms = src
        .driver()
        .list_all_domains(VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        .unwrap();
    let dom = doms.first().expect("a running VM on the first host").clone();
    // The destination lists its VMs first, so that its listing is recent.
    let before = dst.driver().list_all_domains(0).unwrap();
    assert!(!before.iter().any(|d| d.uuid == dom.uuid));

    let moved = migrate(&src, &dom, &dst, &request(VIR_MIGRATE_LIVE, None, None)).unwrap();
    assert_eq!((moved.name.as_str(), moved.uuid), (dom.name.as_str(), dom.uuid));
    assert_eq!(
        o.vm(&dom.name, &[])["runtime.host"],
        hosts[1].0,
        "the simulator moved it"
    );
    assert!(dst
        .driver()
        .list_all_domains(0)
        .unwrap()
        .iter()
        .any(|d| d.uuid == dom.uuid));
    assert!(!src
        .driver()
        .list_all_domains(0)
        .unwrap()
        .iter()
        .any(|d| d.uuid == dom.uuid));
    assert_eq!(
        dst.driver().domain_get_state(&moved, 0).unwrap().0,
        VIR_DOMAIN_RUNNING
    );
    // The source no longer has it.
    let e = expect_err(src.driver().domain_get_state(&dom, 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);

    // An explicit URI naming the first host brings it back.
    let back_uri = format!("vpx://127.0.0.1:{}/{}", sim.port, hosts[0].1);
    let back_uri: &'static str = Box::leak(back_uri.into_boxed_str());
    migrate(&dst, &moved, &src, &request(0, None, Some(back_uri))).unwrap();
    assert_eq!(o.vm(&dom.name, &[])["runtime.host"], hosts[0].0);

    // What the driver refuses, before anything moves.
    let e = expect_err(migrate(&src, &dom, &dst, &request(0, Some("new-name"), None)));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_INVALID_ARG,
            "invalid argument: Renaming domains on migration not supported"
        )
    );
    let e = expect_err(migrate(
        &src,
        &dom,
        &dst,
        &request(0, None, Some("esx://127.0.0.1/")),
    ));
    assert_eq!(
        e.message,
        "invalid argument: Only vpx:// migration URIs are supported"
    );
    let e = expect_err(migrate(
        &src,
        &dom,
        &dst,
        &request(0, None, Some("vpx://192.0.2.1/DC0/DC0_C0/DC0_C0_H1")),
    ));
    assert_eq!(
        e.message,
        "invalid argument: Migration source and destination have to refer to the same vCenter"
    );
    let nowhere = Box::leak(format!("vpx://127.0.0.1:{}/DC0/DC0_C0/nohost", sim.port).into_boxed_str());
    let e = expect_err(migrate(&src, &dom, &dst, &request(0, None, Some(nowhere))));
    assert!(
        e.message
            .contains("Could not find compute resource or host system"),
        "{}",
        e.message
    );
    let e = expect_err(migrate(
        &src,
        &dom,
        &dst,
        &request(VIR_MIGRATE_NON_SHARED_DISK, None, None),
    ));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    assert!(e.message.contains("unsupported flags (0x40)"), "{}", e.message);
    let e = expect_err(migrate(
        &src,
        &dom,
        &dst,
        &request(VIR_MIGRATE_TUNNELLED, None, None),
    ));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    assert_eq!(o.vm(&dom.name, &[])["runtime.host"], hosts[0].0, "nothing moved");
}

#[test]
fn without_a_vcenter_there_is_no_migration() {
    let sim = Sim::start(SimOpts {
        esx: true,
        ..Default::default()
    });
    let creds = Creds::new("root", "pw");
    let open = || Connection::open(Some(&sim.uri("esx", "", "?no_verify=1")), Some(&creds), 0).unwrap();
    let (src, dst) = (open(), open());
    assert!(!src.driver().supports_feature(1).unwrap());
    let dom = src.driver().list_all_domains(0).unwrap()[0].clone();
    let e = expect_err(migrate(&src, &dom, &dst, &request(0, None, None)));
    assert_eq!(e.code, VIR_ERR_NO_SUPPORT);
    assert_eq!(
        e.message,
        "this function is not supported by the connection driver: virDomainMigrate"
    );
}
