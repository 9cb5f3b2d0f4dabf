//! The ESX driver end to end against VMware's vSphere simulator (vcsim): an
//! ESXi host and a vCenter, through the safe connection API, checked against
//! what the simulator holds (asked over a separate SOAP session).

mod esx;

use std::collections::HashSet;

use esx::oracle::Oracle;
use esx::sim::{Creds, Sim, SimOpts};
use esx::{counted, esx_sim, expect_err};
use virt::abi::*;
use virt::auth::Auth;
use virt::connect::Connection;
use virt::domain::Uuid;
use virt::drivers::esx::EsxDriver;
use virt::error::Result;
use virt::typed_params::{TypedParam, TypedValue};
use virt::uri::Uri;

fn open(uri: &str, creds: &Creds) -> Result<Connection> {
    Connection::open(Some(uri), Some(creds), 0)
}

fn esx_conn(sim: &Sim) -> Connection {
    open(&sim.uri("esx", "", "?no_verify=1"), &Creds::new("root", "pw")).unwrap()
}

fn oracle(sim: &Sim) -> Oracle {
    Oracle::new(sim.port, false, "root", "pw")
}

fn state_of(power: &str) -> i32 {
    match power {
        "poweredOn" => VIR_DOMAIN_RUNNING,
        "suspended" => VIR_DOMAIN_PAUSED,
        _ => VIR_DOMAIN_SHUTOFF,
    }
}

#[test]
fn connects_to_an_esx_host() {
    let sim = esx_sim();
    let creds = Creds::new("root", "pw");
    let conn = open(&sim.uri("esx", "", "?no_verify=1"), &creds).unwrap();
    let d = conn.driver();
    let o = oracle(&sim);
    assert_eq!(d.kind(), "ESX");
    // The version is the product's, packed.
    let v: Vec<u64> = o.version().split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(d.version().unwrap(), v[0] * 1_000_000 + v[1] * 1000 + v[2]);
    // The host is the simulator's only one.
    let hosts = o.objects(
        "HostSystem",
        &[
            "name",
            "summary.hardware.cpuMhz",
            "summary.hardware.memorySize",
            "config.network.dnsConfig.hostName",
        ],
    );
    assert_eq!(hosts.len(), 1);
    let host = &hosts[0];
    assert!(d
        .hostname()
        .unwrap()
        .starts_with(&host["config.network.dnsConfig.hostName"]));
    let node = d.node_info().unwrap();
    assert_eq!(node.mhz.to_string(), host["summary.hardware.cpuMhz"]);
    assert_eq!(
        node.memory,
        host["summary.hardware.memorySize"].parse::<u64>().unwrap() / 1024
    );
    assert!(node.cpus >= 1 && node.model.len() <= 31);
    let caps = d.capabilities().unwrap();
    assert!(caps.contains("<domain type='vmware'/>"), "{caps}");
    assert!(caps.contains("<uri_transport>vpxmigr</uri_transport>"), "{caps}");
    // The host's UUID is the one the simulator reports.
    let uuid = &o.objects("HostSystem", &["hardware.systemInfo.uuid"])[0]["hardware.systemInfo.uuid"];
    assert!(caps.contains(&format!("<uuid>{uuid}</uuid>")), "{caps}");
    assert!(d.is_secure().unwrap() && d.is_encrypted().unwrap() && d.is_alive().unwrap());
    // The callback was asked for the user (root offered) and the password,
    // with the host name as challenge.
    let asked = creds.asked.lock().unwrap();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].kind, VIR_CRED_AUTHNAME);
    assert_eq!(asked[0].default.as_deref(), Some("root"));
    assert_eq!(asked[0].challenge.as_deref(), Some("127.0.0.1"));
    assert_eq!(asked[1].prompt, "Enter root's password for 127.0.0.1");
}

#[test]
fn lists_and_looks_up_domains() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let vms = oracle(&sim).vms(&[]);
    assert!(!vms.is_empty());
    let all = d.list_all_domains(0).unwrap();
    let names: HashSet<&str> = all.iter().map(|r| r.name.as_str()).collect();
    let expected: HashSet<&str> = vms.iter().map(|v| v["name"].as_str()).collect();
    assert_eq!(names, expected);
    let running: Vec<_> = vms
        .iter()
        .filter(|v| v["runtime.powerState"] == "poweredOn")
        .collect();
    assert_eq!(d.num_of_domains().unwrap() as usize, running.len());
    assert_eq!(d.list_domains().unwrap().len(), running.len());
    assert_eq!(
        d.num_of_defined_domains().unwrap() as usize,
        vms.len() - running.len()
    );
    for v in &vms {
        let by_name = d.domain_lookup_by_name(&v["name"]).unwrap();
        assert_eq!(by_name.uuid, Uuid::parse(&v["config.uuid"]).unwrap());
        let by_uuid = d.domain_lookup_by_uuid(&by_name.uuid).unwrap();
        assert_eq!(by_uuid, by_name);
        if v["runtime.powerState"] == "poweredOn" {
            // A running domain's id is the number of its reference.
            let id = v["_ref"].rsplit('-').next().unwrap().parse::<i32>().unwrap();
            assert_eq!(by_name.id, id);
            assert_eq!(d.domain_lookup_by_id(id).unwrap(), by_name);
        }
        let info = d.domain_get_info(&by_name).unwrap();
        assert_eq!(info.state, state_of(&v["runtime.powerState"]));
        assert_eq!(
            info.max_mem,
            v["config.hardware.memoryMB"].parse::<u64>().unwrap() * 1024
        );
        assert_eq!(info.nr_virt_cpu.to_string(), v["config.hardware.numCPU"]);
        assert_eq!(d.domain_get_max_memory(&by_name).unwrap(), info.max_mem);
        assert_eq!(d.domain_get_state(&by_name, 0).unwrap().0, info.state);
        assert_eq!(d.domain_get_os_type(&by_name).unwrap(), "hvm");
        assert!(d.domain_is_persistent(&by_name).unwrap());
        assert!(!d.domain_is_updated(&by_name).unwrap());
        assert_eq!(
            d.domain_is_active(&by_name).unwrap(),
            info.state == VIR_DOMAIN_RUNNING
        );
        // Only the maximum can be asked for, as in libvirt.
        assert_eq!(
            d.domain_get_vcpus_flags(&by_name, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM)
                .unwrap(),
            d.domain_get_max_vcpus(&by_name).unwrap()
        );
        let e = expect_err(d.domain_get_vcpus_flags(&by_name, VIR_DOMAIN_AFFECT_LIVE));
        assert_eq!(e.message, "invalid argument: unsupported flags: (0x1)");
    }
    // Filters.
    let active = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_ACTIVE).unwrap();
    assert_eq!(active.len(), running.len());
    let inactive = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_INACTIVE).unwrap();
    assert_eq!(inactive.len(), vms.len() - running.len());
    assert!(d
        .list_all_domains(VIR_CONNECT_LIST_DOMAINS_TRANSIENT)
        .unwrap()
        .is_empty());
    assert_eq!(
        d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT)
            .unwrap()
            .len(),
        vms.len()
    );
    let e = expect_err(d.list_all_domains(1 << 30));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    // Unknown domains.
    let e = expect_err(d.domain_lookup_by_name("no-such-vm"));
    assert_eq!((e.code, e.domain), (VIR_ERR_NO_DOMAIN, VIR_FROM_ESX));
    assert!(e.message.contains("'no-such-vm'"), "{}", e.message);
    let e = expect_err(d.domain_lookup_by_uuid(&Uuid([7; 16])));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
    let e = expect_err(d.domain_lookup_by_id(999_999));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
}

#[test]
fn power_transitions() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let o = oracle(&sim);
    let name = o.vms(&[])[0]["name"].clone();
    let power = |o: &Oracle| o.vm(&name, &[])["runtime.powerState"].clone();
    let mut dom = d.domain_lookup_by_name(&name).unwrap();
    if power(&o) != "poweredOn" {
        dom = d.domain_create(&dom, 0).unwrap();
    }
    assert_eq!(power(&o), "poweredOn");
    let e = expect_err(d.domain_create(&dom, 0));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_OPERATION_INVALID,
            "Requested operation is not valid: Domain is not powered off"
        )
    );
    // Suspend and resume.
    d.domain_suspend(&dom).unwrap();
    assert_eq!(power(&o), "suspended");
    assert_eq!(d.domain_get_info(&dom).unwrap().state, VIR_DOMAIN_PAUSED);
    let e = expect_err(d.domain_suspend(&dom));
    assert!(e.message.ends_with("Domain is not powered on"), "{}", e.message);
    d.domain_resume(&dom).unwrap();
    assert_eq!(power(&o), "poweredOn");
    let e = expect_err(d.domain_resume(&dom));
    assert!(e.message.ends_with("Domain is not suspended"), "{}", e.message);
    // The simulator's guests run no VMware Tools: a guest shutdown or reboot
    // is refused clearly and the domain keeps running.
    for r in [d.domain_shutdown(&dom, 0), d.domain_reboot(&dom, 0)] {
        let e = expect_err(r);
        assert_eq!((e.code, e.domain), (VIR_ERR_OPERATION_INVALID, VIR_FROM_ESX));
        assert!(e.message.contains("VMware Tools is not running"), "{}", e.message);
    }
    assert_eq!(power(&o), "poweredOn");
    let e = expect_err(d.domain_shutdown(&dom, 1));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    // Destroy, then start again.
    d.domain_destroy(&dom, 0).unwrap();
    assert_eq!(power(&o), "poweredOff");
    assert!(!d.domain_is_active(&dom).unwrap());
    assert!(d.list_defined_domains().unwrap().contains(&name));
    let e = expect_err(d.domain_destroy(&dom, 0));
    assert!(e.message.ends_with("Domain is not powered on"), "{}", e.message);
    let e = expect_err(d.domain_suspend(&dom));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    let started = d.domain_create(&dom, 0).unwrap();
    assert!(started.id > 0);
    assert_eq!(power(&o), "poweredOn");
    assert!(d.list_domains().unwrap().contains(&started.id));
}

#[test]
fn listing_costs_one_request_whatever_the_number_of_domains() {
    use std::sync::atomic::Ordering;
    use std::time::Instant;
    for n in [2, 40] {
        let sim = Sim::start(SimOpts {
            esx: true,
            vms: Some(n),
            ..Default::default()
        });
        let (conn, counter) = counted(&sim);
        let setup = counter.load(Ordering::Relaxed);
        // Service content, login, inventory walk.
        assert_eq!(setup, 3);
        let d = conn.driver();
        let start = Instant::now();
        let all = d.list_all_domains(0).unwrap();
        let took = start.elapsed();
        assert_eq!(all.len(), n as usize);
        assert_eq!(counter.load(Ordering::Relaxed) - setup, 1, "listing {n} domains");
        let before = counter.load(Ordering::Relaxed);
        let ids = d.list_domains().unwrap();
        let names = d.list_defined_domains().unwrap();
        assert_eq!(ids.len() + names.len(), n as usize);
        assert_eq!(counter.load(Ordering::Relaxed) - before, 2);
        // Right after a listing, each domain's state, info and lookups
        // come from it: listing N domains with their state is one request.
        let before = counter.load(Ordering::Relaxed);
        let listed = d.list_all_domains(0).unwrap();
        for dom in &listed {
            let info = d.domain_get_info(dom).unwrap();
            assert_eq!(d.domain_get_state(dom, 0).unwrap().0, info.state);
            assert!(info.max_mem > 0 && info.nr_virt_cpu > 0, "{info:?}");
            assert_eq!(d.domain_lookup_by_name(&dom.name).unwrap().uuid, dom.uuid);
        }
        let with_state = counter.load(Ordering::Relaxed) - before;
        assert_eq!(with_state, 1, "{n} domains listed with state, info and lookups");
        // Once the listing is older than its window, one request each;
        // but the states of all domains are one request as statistics.
        std::thread::sleep(virt::drivers::esx::RECENT);
        let before = counter.load(Ordering::Relaxed);
        let records = d.get_all_domain_stats(None, VIR_DOMAIN_STATS_STATE, 0).unwrap();
        assert_eq!(
            counter.load(Ordering::Relaxed) - before,
            1,
            "statistics of {n} domains"
        );
        assert_eq!(records.len(), n as usize);
        for (dom, params) in &records {
            let state = d.domain_get_state(dom, 0).unwrap().0;
            assert_eq!(
                params[0],
                TypedParam::new("state.state", TypedValue::Int(state)).unwrap()
            );
        }
        std::thread::sleep(virt::drivers::esx::RECENT);
        let before = counter.load(Ordering::Relaxed);
        for dom in &all {
            d.domain_get_info(dom).unwrap();
        }
        assert_eq!(counter.load(Ordering::Relaxed) - before, n as u64);
        // A power cycle: the VM's state, the task call, at least one poll.
        let dom = &all[0];
        let before = counter.load(Ordering::Relaxed);
        if d.domain_is_active(dom).unwrap() {
            d.domain_destroy(dom, 0).unwrap();
        }
        d.domain_create(dom, 0).unwrap();
        let cycle = counter.load(Ordering::Relaxed) - before;
        assert!((5..=20).contains(&cycle), "{cycle} requests for a power cycle");
        eprintln!(
            "esx: open = {setup} SOAP requests; {n} domains listed with their state in 1 request ({took:?}); \
             listing + state + info + lookup of each = {with_state} request; is_active + destroy + create = {cycle} requests"
        );
    }
}

/// A change made through the connection is seen at once, even right after
/// a listing that still holds the old state.
#[test]
fn a_change_ends_what_a_listing_answers() {
    let sim = esx_sim();
    let (conn, _) = counted(&sim);
    let d = conn.driver();
    let all = d.list_all_domains(0).unwrap();
    let dom = all
        .iter()
        .find(|dom| d.domain_is_active(dom).unwrap())
        .expect("a running VM")
        .clone();
    for (op, want) in [
        ("suspend", VIR_DOMAIN_PAUSED),
        ("resume", VIR_DOMAIN_RUNNING),
        ("destroy", VIR_DOMAIN_SHUTOFF),
    ] {
        d.list_all_domains(0).unwrap();
        match op {
            "suspend" => d.domain_suspend(&dom).unwrap(),
            "resume" => d.domain_resume(&dom).unwrap(),
            _ => d.domain_destroy(&dom, 0).unwrap(),
        }
        assert_eq!(d.domain_get_state(&dom, 0).unwrap().0, want, "after {op}");
        assert_eq!(d.domain_get_info(&dom).unwrap().state, want, "info after {op}");
        assert_eq!(
            d.domain_is_active(&dom).unwrap(),
            want == VIR_DOMAIN_RUNNING,
            "active after {op}"
        );
    }
    // A name the listing lacks is looked for anew: a VM renamed outside
    // this connection right after the listing is found under its new name.
    let o = oracle(&sim);
    let listed = d.list_all_domains(0).unwrap();
    let other = o.vm(&listed[1].name, &[]);
    o.call(&format!(
        "<Rename_Task xmlns=\"urn:vim25\"><_this type=\"VirtualMachine\">{}</_this><newName>renamed outside</newName></Rename_Task>",
        other["_ref"]
    ));
    assert_eq!(
        d.domain_lookup_by_name("renamed outside").unwrap().uuid,
        listed[1].uuid
    );
    let err = expect_err(d.domain_lookup_by_name("no-such-vm"));
    assert_eq!(err.code, VIR_ERR_NO_DOMAIN);
}

#[test]
fn scheduler_memory_and_vcpus() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let o = oracle(&sim);
    let name = o.vms(&[])[0]["name"].clone();
    let dom = d.domain_lookup_by_name(&name).unwrap();
    assert_eq!(
        d.domain_get_scheduler_type(&dom).unwrap(),
        ("allocation".to_string(), 3)
    );
    let p = |n: &str, v: TypedValue| TypedParam::new(n, v).unwrap();
    d.domain_set_scheduler_parameters(
        &dom,
        &[
            p("reservation", TypedValue::LLong(100)),
            p("limit", TypedValue::LLong(2000)),
            p("shares", TypedValue::Int(1234)),
        ],
        0,
    )
    .unwrap();
    let got = d.domain_get_scheduler_parameters(&dom, 0).unwrap();
    assert_eq!(
        got,
        vec![
            p("reservation", TypedValue::LLong(100)),
            p("limit", TypedValue::LLong(2000)),
            p("shares", TypedValue::Int(1234)),
        ]
    );
    let vm = o.vm(
        &name,
        &[
            "config.cpuAllocation.reservation",
            "config.cpuAllocation.limit",
            "config.cpuAllocation.shares.level",
        ],
    );
    assert_eq!(vm["config.cpuAllocation.reservation"], "100");
    assert_eq!(vm["config.cpuAllocation.limit"], "2000");
    assert_eq!(vm["config.cpuAllocation.shares.level"], "custom");
    // Levels.
    for (shares, level) in [(-1, "low"), (-2, "normal"), (-3, "high")] {
        d.domain_set_scheduler_parameters(&dom, &[p("shares", TypedValue::Int(shares))], 0)
            .unwrap();
        assert_eq!(
            o.vm(&name, &["config.cpuAllocation.shares.level"])["config.cpuAllocation.shares.level"],
            level
        );
        let got = d.domain_get_scheduler_parameters(&dom, 0).unwrap();
        assert_eq!(got[2], p("shares", TypedValue::Int(shares)));
    }
    // Bad values.
    for bad in [
        vec![p("reservation", TypedValue::LLong(-5))],
        vec![p("limit", TypedValue::LLong(-2))],
        vec![p("shares", TypedValue::Int(-4))],
        vec![
            p("reservation", TypedValue::LLong(100)),
            p("limit", TypedValue::LLong(50)),
        ],
        vec![p("shares", TypedValue::LLong(5))],
        vec![p("weight", TypedValue::Int(5))],
    ] {
        let e = expect_err(d.domain_set_scheduler_parameters(&dom, &bad, 0));
        assert!(
            e.code == VIR_ERR_INVALID_ARG || e.code == VIR_ERR_ARGUMENT_UNSUPPORTED,
            "{bad:?}: {e:?}"
        );
    }
    // vCPUs: at least 1, at most the host's maximum, live only.
    d.domain_set_vcpus_flags(&dom, 2, VIR_DOMAIN_AFFECT_LIVE).unwrap();
    assert_eq!(o.vm(&name, &[])["config.hardware.numCPU"], "2");
    assert_eq!(d.domain_get_info(&dom).unwrap().nr_virt_cpu, 2);
    let e = expect_err(d.domain_set_vcpus_flags(&dom, 0, VIR_DOMAIN_AFFECT_LIVE));
    assert_eq!(
        e.message,
        "invalid argument: Requested number of virtual CPUs must at least be 1"
    );
    let e = expect_err(d.domain_set_vcpus_flags(&dom, 2, VIR_DOMAIN_AFFECT_CONFIG));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    let max = d.domain_get_max_vcpus(&dom).unwrap();
    let e = expect_err(d.domain_set_vcpus_flags(&dom, max as u32 + 1, VIR_DOMAIN_AFFECT_LIVE));
    assert!(e.message.contains("greater than max allowable"), "{}", e.message);
    // Memory: the current memory is the limit, in whole MiB.
    let max_kib = d.domain_get_max_memory(&dom).unwrap();
    let half_mib = max_kib / 1024 / 2;
    d.domain_set_memory_flags(&dom, half_mib * 1024 - 100, VIR_DOMAIN_AFFECT_LIVE)
        .unwrap();
    assert_eq!(
        o.vm(&name, &["config.memoryAllocation.limit"])["config.memoryAllocation.limit"],
        half_mib.to_string()
    );
    assert_eq!(d.domain_get_info(&dom).unwrap().memory, half_mib * 1024);
    // The maximum needs the domain powered off and is rounded up to 4 MiB.
    if d.domain_is_active(&dom).unwrap() {
        let e = expect_err(d.domain_set_memory_flags(&dom, 512 * 1024, VIR_DOMAIN_MEM_MAXIMUM));
        assert!(e.message.ends_with("Domain is not powered off"), "{}", e.message);
        d.domain_destroy(&dom, 0).unwrap();
    }
    d.domain_set_memory_flags(&dom, 512 * 1024, VIR_DOMAIN_MEM_MAXIMUM)
        .unwrap();
    assert_eq!(o.vm(&name, &[])["config.hardware.memoryMB"], "512");
    assert_eq!(d.domain_get_max_memory(&dom).unwrap(), 512 * 1024);
    d.domain_set_memory_flags(&dom, 1000, VIR_DOMAIN_MEM_MAXIMUM)
        .unwrap();
    assert_eq!(o.vm(&name, &[])["config.hardware.memoryMB"], "4");
    let e = expect_err(d.domain_set_memory_flags(&dom, 1024, VIR_DOMAIN_AFFECT_CONFIG));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
}

#[test]
fn snapshots() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let o = oracle(&sim);
    let name = o.vms(&[])[0]["name"].clone();
    let dom = d.domain_lookup_by_name(&name).unwrap();
    assert!(!d.snapshot_has_current(&dom, 0).unwrap());
    let e = expect_err(d.snapshot_current(&dom, 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN_SNAPSHOT);
    let (s1, halted) = d
        .snapshot_create_xml(
            &dom,
            "<domainsnapshot><name>first</name><description>one</description></domainsnapshot>",
            0,
        )
        .unwrap();
    assert!(!halted);
    let (s2, _) = d
        .snapshot_create_xml(&dom, "<domainsnapshot><name>second</name></domainsnapshot>", 0)
        .unwrap();
    let e =
        expect_err(d.snapshot_create_xml(&dom, "<domainsnapshot><name>second</name></domainsnapshot>", 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    let e = expect_err(d.snapshot_create_xml(&dom, "<domainsnapshot><name>x</name>", 0));
    assert_eq!(e.code, VIR_ERR_XML_DETAIL);
    // The simulator holds them as a chain.
    let snap = o.vm(&name, &["snapshot.rootSnapshotList"]);
    assert!(snap["snapshot.rootSnapshotList"].is_empty() || snap.contains_key("snapshot.rootSnapshotList"));
    let list = |parent: Option<&str>, flags| {
        d.snapshot_list(&dom, parent, flags, "virDomainSnapshotListNames")
            .unwrap()
    };
    assert_eq!(list(None, 0), vec!["first", "second"]);
    assert_eq!(list(None, VIR_DOMAIN_SNAPSHOT_LIST_ROOTS), vec!["first"]);
    assert_eq!(list(None, VIR_DOMAIN_SNAPSHOT_LIST_LEAVES), vec!["second"]);
    assert!(list(None, VIR_DOMAIN_SNAPSHOT_LIST_METADATA).is_empty());
    assert_eq!(list(Some("first"), 0), vec!["second"]);
    assert_eq!(
        list(Some("first"), VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS),
        vec!["second"]
    );
    assert_eq!(d.snapshot_current(&dom, 0).unwrap(), s2);
    assert!(d.snapshot_is_current(&s2, 0).unwrap());
    assert!(!d.snapshot_is_current(&s1, 0).unwrap());
    assert!(!d.snapshot_has_metadata(&s1, 0).unwrap());
    assert_eq!(d.snapshot_get_parent(&s2, 0).unwrap(), s1);
    let e = expect_err(d.snapshot_get_parent(&s1, 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN_SNAPSHOT);
    assert_eq!(d.snapshot_lookup_by_name(&dom, "first", 0).unwrap(), s1);
    let e = expect_err(d.snapshot_lookup_by_name(&dom, "nope", 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN_SNAPSHOT);
    let xml = d.snapshot_get_xml_desc(&s2, 0).unwrap();
    assert!(xml.contains("<name>second</name>"), "{xml}");
    assert!(
        xml.contains(
            "<state>running</state>\n  <parent>\n    <name>first</name>\n  </parent>\n  <creationTime>"
        ),
        "{xml}"
    );
    assert!(xml.contains(&format!("<uuid>{}</uuid>", dom.uuid)), "{xml}");
    let xml1 = d.snapshot_get_xml_desc(&s1, 0).unwrap();
    assert!(xml1.contains("<description>one</description>"), "{xml1}");
    // Revert makes the first current again.
    d.snapshot_revert(&s1, 0).unwrap();
    assert!(d.snapshot_is_current(&s1, 0).unwrap());
    // Delete the first with its children: nothing is left.
    d.snapshot_delete(&s1, VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN)
        .unwrap();
    assert!(list(None, 0).is_empty());
    let e = expect_err(d.snapshot_delete(&s2, 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN_SNAPSHOT);
}

#[test]
fn credentials_are_checked() {
    let sim = Sim::start(SimOpts {
        esx: true,
        login: Some(("alice", "s3cret")),
        ..Default::default()
    });
    let uri = sim.uri("esx", "", "?no_verify=1");
    let e = expect_err(open(&uri, &Creds::new("alice", "wrong")));
    assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_ESX));
    assert!(
        e.message
            .starts_with("internal error: HTTP response code 500 for call to 'Login'. Fault: "),
        "{}",
        e.message
    );
    assert!(!e.message.contains("wrong"), "the password leaked: {}", e.message);
    open(&uri, &Creds::new("alice", "s3cret")).unwrap();
    // The user name of the URI is used without asking.
    let creds = Creds::new("nobody", "s3cret");
    open(
        &sim.uri("esx", "", "?no_verify=1").replace("://", "://alice@"),
        &creds,
    )
    .unwrap();
    assert_eq!(creds.asked.lock().unwrap().len(), 1);
    // Without a callback there is no way to log in.
    let e = expect_err(Connection::open(Some(&uri), None, 0));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_INVALID_ARG,
            "invalid argument: Missing or invalid auth pointer"
        )
    );
}

#[test]
fn certificates_and_transports() {
    let sim = esx_sim();
    let creds = Creds::new("root", "pw");
    // The simulator's certificate is self-signed: refused unless no_verify=1.
    let e = expect_err(open(&sim.uri("esx", "", ""), &creds));
    assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_ESX));
    assert!(
        e.message
            .contains("Peer certificate cannot be authenticated with known CA certificates"),
        "{}",
        e.message
    );
    let e = expect_err(open(&sim.uri("esx", "", "?no_verify=0"), &creds));
    assert!(e.message.contains("Peer certificate"), "{}", e.message);
    open(&sim.uri("esx", "", "?no_verify=1"), &creds).unwrap();
    // Plain HTTP.
    let plain = Sim::start(SimOpts {
        esx: true,
        http: true,
        ..Default::default()
    });
    let conn = open(&plain.uri("esx", "", "?transport=http"), &creds).unwrap();
    assert!(!conn.driver().is_secure().unwrap());
    assert!(!conn.driver().list_all_domains(0).unwrap().is_empty());
    // Speaking HTTPS to it fails clearly, without hanging.
    let e = expect_err(open(&plain.uri("esx", "", "?no_verify=1"), &creds));
    assert_eq!(e.domain, VIR_FROM_ESX);
    // Nothing listens: a clear connection error.
    drop(plain);
    let e = expect_err(open("esx://127.0.0.1:1/?no_verify=1", &creds));
    assert!(e.message.contains("Couldn't connect"), "{}", e.message);
    // A host without a vCenter cannot take vcenter=*; a named vCenter is
    // logged into, and must be one.
    let e = expect_err(open(&sim.uri("esx", "", "?no_verify=1&vcenter=*"), &creds));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            VIR_ERR_INTERNAL_ERROR,
            "internal error: This host is not managed by a vCenter"
        )
    );
    let e = expect_err(open(
        &sim.uri("esx", "", "?no_verify=1&vcenter=localhost"),
        &creds,
    ));
    assert!(
        e.message.ends_with("to be a vCenter host but found a ESX host"),
        "{}",
        e.message
    );
    // Remote transports are refused with guidance.
    let e = expect_err(open("esx+ssh://example.com/", &creds));
    assert_eq!(
        (e.code, e.domain, e.message.as_str()),
        (
            VIR_ERR_INVALID_ARG,
            VIR_FROM_ESX,
            "invalid argument: Transport 'ssh' in URI scheme is not supported, try again without the transport part"
        )
    );
    // Bad parameters.
    let e = expect_err(open(&sim.uri("esx", "", "?transport=ftp"), &creds));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    // A proxy that is not there.
    let e = expect_err(open(
        &sim.uri("esx", "", "?no_verify=1&proxy=socks5://127.0.0.1:1"),
        &creds,
    ));
    assert_eq!(e.domain, VIR_FROM_ESX);
}

#[test]
fn vcenter_selects_one_host() {
    let sim = Sim::start(SimOpts::default());
    let creds = Creds::new("administrator", "pw");
    let o = Oracle::new(sim.port, false, "u", "p");
    let hosts = o.objects("HostSystem", &["name", "parent"]);
    let clusters = o.objects("ClusterComputeResource", &["name"]);
    let dcs = o.objects("Datacenter", &["name"]);
    let host = &hosts
        .iter()
        .find(|h| clusters.iter().any(|c| c["_ref"] == h["parent"]))
        .expect("a clustered host");
    let cluster = clusters.iter().find(|c| c["_ref"] == host["parent"]).unwrap();
    let path = format!("{}/{}/{}", dcs[0]["name"], cluster["name"], host["name"]);
    let conn = open(&sim.uri("vpx", &path, "?no_verify=1"), &creds).unwrap();
    let d = conn.driver();
    // Only the selected host's VMs.
    let mine: HashSet<String> = o
        .vms(&[])
        .into_iter()
        .filter(|v| v["runtime.host"] == host["_ref"])
        .map(|v| v["name"].clone())
        .collect();
    let listed: HashSet<String> = d
        .list_all_domains(0)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert!(!mine.is_empty());
    assert_eq!(listed, mine);
    // The default user offered for a vCenter.
    assert_eq!(
        creds.asked.lock().unwrap()[0].default.as_deref(),
        Some("administrator")
    );
    // Power works through the vCenter too.
    let dom = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_ACTIVE).unwrap()[0].clone();
    d.domain_suspend(&dom).unwrap();
    assert_eq!(d.domain_get_state(&dom, 0).unwrap().0, VIR_DOMAIN_PAUSED);
    d.domain_resume(&dom).unwrap();
    drop(conn);
    // Wrong paths and products.
    let e = expect_err(open(&sim.uri("vpx", "NoDC/x/y", "?no_verify=1"), &creds));
    assert!(e.message.contains("Could not find datacenter"), "{}", e.message);
    let bad = format!("{}/{}/nohost", dcs[0]["name"], cluster["name"]);
    let e = expect_err(open(&sim.uri("vpx", &bad, "?no_verify=1"), &creds));
    assert!(
        e.message
            .contains("Could not find compute resource or host system"),
        "{}",
        e.message
    );
    let e = expect_err(open(&sim.uri("vpx", "", "?no_verify=1"), &creds));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    let e = expect_err(open(&sim.uri("esx", "", "?no_verify=1"), &creds));
    assert_eq!(
        e.message,
        "internal error: Expecting '127.0.0.1' to be a ESX host but found a vCenter host"
    );
    let esx = esx_sim();
    let e = expect_err(open(&esx.uri("vpx", "dc/host", "?no_verify=1"), &creds));
    assert_eq!(
        e.message,
        "internal error: Expecting '127.0.0.1' to be a vCenter host but found a ESX host"
    );
}

#[test]
fn autostart_is_reported_or_refused_clearly() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let dom = d.list_all_domains(0).unwrap()[0].clone();
    // The simulator has no HostAutoStartManager object: whatever it answers
    // must come back as a value or an ESX error, never a panic or a hang.
    match d.domain_get_autostart(&dom) {
        Ok(on) => assert!(!on),
        Err(e) => assert_eq!(e.domain, VIR_FROM_ESX, "{e:?}"),
    }
    if let Err(e) = d.domain_set_autostart(&dom, true) {
        assert_eq!(e.domain, VIR_FROM_ESX, "{e:?}");
    }
}

#[test]
fn vmx_files_come_from_the_datastore() {
    let sim = esx_sim();
    let o = oracle(&sim);
    let dc = o.objects("Datacenter", &["name"])[0]["name"].clone();
    let vm = &o.vms(&["config.files.vmPathName"])[0];
    let vmx = format!(
        "config.version = \"8\"\nvirtualHW.version = \"13\"\ndisplayName = \"{}\"\nmemsize = \"{}\"\n",
        vm["name"], vm["config.hardware.memoryMB"]
    );
    o.put_file(&dc, &vm["config.files.vmPathName"], &vmx);
    // The VMX text is the driver's own API, beside the Driver trait.
    let creds = Creds::new("root", "pw");
    let uri = Uri::parse(&sim.uri("esx", "", "?no_verify=1")).unwrap();
    let driver = EsxDriver::open(&uri, &Auth::new(Some(&creds), None), 0).unwrap();
    use virt::driver::Driver;
    let dom = driver.domain_lookup_by_name(&vm["name"]).unwrap();
    assert_eq!(driver.domain_vmx(&dom).unwrap(), vmx);
}

#[test]
fn closing_logs_out() {
    let sim = esx_sim();
    let o = Oracle::new(sim.port, false, "watcher", "pw");
    let sessions = |o: &Oracle| o.session_users().iter().filter(|u| *u == "root").count();
    assert_eq!(sessions(&o), 0);
    let conn = esx_conn(&sim);
    assert_eq!(sessions(&o), 1);
    drop(conn);
    assert_eq!(sessions(&o), 0);
}

fn domain_xml(name: &str, uuid: &str, disk: Option<&str>) -> String {
    let disk = disk
        .map(|d| {
            format!(
                "<disk type='file' device='disk'><source file='{d}'/><target dev='sda' bus='scsi'/></disk>\
                 <controller type='scsi' index='0' model='lsilogic'/>"
            )
        })
        .unwrap_or_default();
    format!(
        "<domain type='vmware'><name>{name}</name><uuid>{uuid}</uuid><memory>65536</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><devices>{disk}</devices></domain>"
    )
}

#[test]
fn define_is_refused_before_anything_is_written() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let o = oracle(&sim);
    let existing = &o.vms(&[])[0];
    let ds = o.objects("Datastore", &["name"])[0]["name"].clone();
    let uuid = "50115e16-9bdc-49d7-f171-53c4d7f91710";
    // The VMX file's place comes from the first file-based disk.
    let e = expect_err(d.domain_define_xml(&domain_xml("new", uuid, None), 0));
    assert!(
        e.message.contains("doesn't contain any file-based harddisks"),
        "{}",
        e.message
    );
    let e = expect_err(d.domain_define_xml(&domain_xml("new", uuid, Some("[NoSuchDS] new/new.vmdk")), 0));
    assert!(
        e.message.contains("Could not find datastore 'NoSuchDS'"),
        "{}",
        e.message
    );
    // Existing names and UUIDs.
    let disk = format!("[{ds}] new/new.vmdk");
    let e = expect_err(d.domain_define_xml(&domain_xml(&existing["name"], uuid, Some(&disk)), 0));
    assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
    let e = expect_err(d.domain_define_xml(&domain_xml("new", &existing["config.uuid"], Some(&disk)), 0));
    assert!(
        e.message.contains("editing existing domains is not supported"),
        "{}",
        e.message
    );
    // Broken XML.
    let e = expect_err(d.domain_define_xml("<domain", 0));
    assert_eq!(e.code, VIR_ERR_XML_DETAIL);
    let e = expect_err(d.domain_define_xml(&domain_xml("new", uuid, Some(&disk)), 1));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    assert_eq!(o.vms(&[]).len(), d.list_all_domains(0).unwrap().len());
}

#[test]
fn undefine_unregisters() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let o = oracle(&sim);
    let name = o.vms(&[])[0]["name"].clone();
    let dom = d.domain_lookup_by_name(&name).unwrap();
    if d.domain_is_active(&dom).unwrap() {
        let e = expect_err(d.domain_undefine(&dom, 0));
        assert_eq!(e.code, VIR_ERR_OPERATION_INVALID);
        d.domain_destroy(&dom, 0).unwrap();
    }
    d.domain_undefine(&dom, 0).unwrap();
    assert!(o.vms(&[]).iter().all(|v| v["name"] != name));
    let e = expect_err(d.domain_lookup_by_name(&name));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
    let e = expect_err(d.domain_undefine(&dom, 0));
    assert_eq!(e.code, VIR_ERR_NO_DOMAIN);
}

#[test]
fn an_ended_session_is_renewed() {
    let sim = esx_sim();
    let o = Oracle::new(sim.port, false, "watcher", "pw");
    let conn = esx_conn(&sim);
    let d = conn.driver();
    let before = d.list_all_domains(0).unwrap();
    // The server ends the session, as it does after an idle timeout.
    assert_eq!(o.terminate_sessions_of("root"), 1);
    assert!(o.session_users().iter().all(|u| u != "root"));
    // Retrievals and method calls log in again and go on.
    assert_eq!(d.list_all_domains(0).unwrap(), before);
    assert_eq!(o.terminate_sessions_of("root"), 1);
    d.domain_suspend(&before[0]).unwrap();
    d.domain_resume(&before[0]).unwrap();
    assert_eq!(o.session_users().iter().filter(|u| *u == "root").count(), 1);
}

#[test]
fn one_connection_serves_many_threads() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let expected = conn.driver().list_all_domains(0).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10 {
                    let d = conn.driver();
                    assert_eq!(d.list_all_domains(0).unwrap(), expected);
                    let info = d.domain_get_info(&expected[0]).unwrap();
                    assert!(info.max_mem > 0);
                }
            });
        }
    });
}

#[test]
fn credentials_come_from_auth_conf_first() {
    let sim = Sim::start(SimOpts {
        esx: true,
        login: Some(("alice", "s3cret")),
        ..Default::default()
    });
    let dir = std::env::temp_dir().join(format!("esx-authconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("auth.conf");
    // The service is "esx" (for vpx:// too), the host the URI's server.
    std::fs::write(
        &file,
        "[credentials-sim]\nusername=alice\npassword=s3cret\n\n[auth-esx-127.0.0.1]\ncredentials=sim\n",
    )
    .unwrap();
    let creds = Creds::new("nobody", "wrong");
    let uri = sim.uri("esx", "", &format!("?no_verify=1&authfile={}", file.display()));
    let conn = open(&uri, &creds);
    let _ = std::fs::remove_dir_all(&dir);
    let conn = conn.unwrap();
    assert!(!conn.driver().list_all_domains(0).unwrap().is_empty());
    assert!(creds.asked.lock().unwrap().is_empty(), "the callback was asked");
}

#[test]
fn memory_reservation_and_free_memory() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let o = oracle(&sim);
    let d = conn.driver();
    let dom = d.list_all_domains(0).unwrap()[0].clone();
    let params = d.domain_get_memory_parameters(&dom, 0).unwrap();
    let reserved = o.vm(&dom.name, &["config.memoryAllocation.reservation"])
        ["config.memoryAllocation.reservation"]
        .parse::<u64>()
        .unwrap_or(0);
    assert_eq!(
        params,
        vec![TypedParam::new("min_guarantee", TypedValue::ULLong(reserved * 1024)).unwrap()]
    );
    // KiB are rounded up to whole MiB, as the server keeps them.
    let set = [TypedParam::new("min_guarantee", TypedValue::ULLong(65537)).unwrap()];
    d.domain_set_memory_parameters(&dom, &set, 0).unwrap();
    let now =
        &o.vm(&dom.name, &["config.memoryAllocation.reservation"])["config.memoryAllocation.reservation"];
    assert_eq!(now, "65");
    assert_eq!(
        d.domain_get_memory_parameters(&dom, 0).unwrap()[0].value,
        TypedValue::ULLong(65 * 1024)
    );
    // Unknown names, wrong types and flags change nothing.
    for (bad, flags, code) in [
        (
            TypedParam::new("hard_limit", TypedValue::ULLong(1)).unwrap(),
            0,
            VIR_ERR_ARGUMENT_UNSUPPORTED,
        ),
        (
            TypedParam::new("min_guarantee", TypedValue::Int(1)).unwrap(),
            0,
            VIR_ERR_INVALID_ARG,
        ),
        (
            TypedParam::new("min_guarantee", TypedValue::ULLong(1)).unwrap(),
            VIR_DOMAIN_AFFECT_CONFIG,
            VIR_ERR_INVALID_ARG,
        ),
    ] {
        let e = expect_err(d.domain_set_memory_parameters(&dom, &[bad], flags));
        assert_eq!((e.code, e.domain), (code, VIR_FROM_ESX), "{}", e.message);
    }
    assert_eq!(
        o.vm(&dom.name, &["config.memoryAllocation.reservation"])["config.memoryAllocation.reservation"],
        "65"
    );
    // The host's free memory is its resource pool's unreserved memory.
    let pools = o.objects("ResourcePool", &["runtime.memory.unreservedForVm"]);
    let unreserved: u64 = pools[0]["runtime.memory.unreservedForVm"].parse().unwrap();
    assert_eq!(d.node_get_free_memory().unwrap(), unreserved);
}

#[test]
fn interface_addresses_come_from_vmware_tools() {
    let sim = esx_sim();
    let conn = esx_conn(&sim);
    let o = oracle(&sim);
    let d = conn.driver();
    let dom = d.list_all_domains(VIR_CONNECT_LIST_DOMAINS_ACTIVE).unwrap()[0].clone();
    let agent = VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT as u32;
    let before = d.domain_interface_addresses(&dom, agent, 0).unwrap();
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(
        before[0].addrs.is_empty(),
        "no address before the guest has one: {before:?}"
    );
    // The simulator's MACs are VMware's generated ones.
    let mac = before[0].hwaddr.as_deref().unwrap();
    assert!(mac.len() == 17 && mac.starts_with("00:0c:29:"), "{mac}");
    assert_eq!(before[0].name, "ethernet0");
    // The simulator's guest takes a fixed address through customization,
    // applied when it powers on.
    d.domain_destroy(&dom, 0).unwrap();
    let vm = o.vm(&dom.name, &[]);
    o.call(&format!(
        "<CustomizeVM_Task xmlns=\"urn:vim25\"><_this type=\"VirtualMachine\">{}</_this><spec>\
         <identity xsi:type=\"CustomizationLinuxPrep\"><hostName xsi:type=\"CustomizationFixedName\"><name>guest-one</name></hostName><domain>example.org</domain></identity>\
         <globalIPSettings/><nicSettingMap><adapter><ip xsi:type=\"CustomizationFixedIp\"><ipAddress>10.20.30.42</ipAddress></ip></adapter></nicSettingMap></spec></CustomizeVM_Task>",
        vm["_ref"]
    ));
    d.domain_create(&dom, 0).unwrap();
    let after = d.domain_interface_addresses(&dom, agent, 0).unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(
        after[0].addrs,
        vec![(VIR_IP_ADDR_TYPE_IPV4, "10.20.30.42".to_string(), 0)]
    );
    assert_eq!(d.domain_get_hostname(&dom, 0).unwrap(), "guest-one");
    // Only the tools know addresses; flags are refused.
    for source in [
        VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
        7,
    ] {
        let e = expect_err(d.domain_interface_addresses(&dom, source as u32, 0));
        assert_eq!((e.code, e.domain), (VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_ESX));
    }
    let e = expect_err(d.domain_interface_addresses(&dom, agent, 1));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
}
