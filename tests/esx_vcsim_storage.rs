//! The ESX driver's storage pools (the host's datastores) and volumes (the
//! disk and ISO images in them) against VMware's vSphere simulator: what
//! the driver reports is checked against the simulator's datastores, disk
//! UUIDs and the files behind its datastores, and creating, copying and
//! deleting volumes really changes them.

mod esx;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use esx::oracle::Oracle;
use esx::{counted, esx_sim, expect_err};
use virt::abi::*;
use virt::domain::Uuid;
use virt::driver::PoolRef;
use virt::storage::{PoolDef, VolFormats, VolumeDef};

fn datastores(o: &Oracle) -> Vec<HashMap<String, String>> {
    o.objects(
        "Datastore",
        &[
            "summary.name",
            "summary.capacity",
            "summary.freeSpace",
            "summary.accessible",
            "summary.url",
        ],
    )
}

/// The local directory behind a simulated datastore.
fn backing_dir(o: &Oracle, ds: &str) -> PathBuf {
    let all = datastores(o);
    let d = all.iter().find(|d| d["summary.name"] == ds).unwrap();
    PathBuf::from(&d["summary.url"])
}

/// The simulator's UUID of the disk at a datastore path, in libvirt's form.
fn disk_uuid(o: &Oracle, path: &str) -> String {
    let vdm = Oracle::kids(&o.content, "virtualDiskManager").next().unwrap();
    let dc = &o.objects("Datacenter", &["name"])[0]["_ref"];
    let reply = o.call(&format!(
        "<QueryVirtualDiskUuid xmlns=\"urn:vim25\"><_this type=\"VirtualDiskManager\">{}</_this><name>{path}</name><datacenter type=\"Datacenter\">{dc}</datacenter></QueryVirtualDiskUuid>",
        vdm.text().trim()
    ));
    Oracle::text(&reply, "returnval").to_lowercase()
}

#[test]
fn datastores_are_pools() {
    let sim = esx_sim();
    let (conn, counter) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let dss = datastores(&o);
    assert!(!dss.is_empty());
    let names: Vec<String> = dss.iter().map(|d| d["summary.name"].clone()).collect();
    let before = counter.load(Ordering::Relaxed);
    assert_eq!(d.list_storage_pools(true).unwrap(), names);
    assert_eq!(
        counter.load(Ordering::Relaxed) - before,
        1,
        "one request lists the pools"
    );
    assert!(d.list_storage_pools(false).unwrap().is_empty());
    for ds in &dss {
        let name = &ds["summary.name"];
        let pool = d.pool_lookup_by_name(name).unwrap();
        // The simulator gives no mount path: the UUID is the MD5 of the
        // datastore's path under /vmfs/volumes.
        let target = format!("/vmfs/volumes/{name}");
        assert_eq!(
            pool.uuid,
            Uuid(<md5::Md5 as md5::Digest>::digest(target.as_bytes()).into())
        );
        assert_eq!(d.pool_lookup_by_uuid(&pool.uuid).unwrap(), pool);
        let before = counter.load(Ordering::Relaxed);
        let info = d.pool_get_info(&pool).unwrap();
        assert_eq!(
            counter.load(Ordering::Relaxed) - before,
            1,
            "one request for the info"
        );
        let capacity: u64 = ds["summary.capacity"].parse().unwrap();
        let free: u64 = ds["summary.freeSpace"].parse().unwrap();
        assert_eq!(info.state, VIR_STORAGE_POOL_RUNNING);
        assert_eq!(info.capacity, capacity);
        assert_eq!(info.available, free);
        assert_eq!(info.allocation, capacity - free);
        let xml = d.pool_get_xml_desc(&pool, 0).unwrap();
        let def = PoolDef::parse(&xml).unwrap();
        // The simulator's datastores are local directories.
        assert_eq!(def.pool_type, "dir");
        assert_eq!(def.name, *name);
        assert_eq!(def.uuid, pool.uuid);
        // (The parser ignores sizes, as libvirt's does.)
        assert!(
            xml.contains(&format!("<capacity unit='bytes'>{capacity}</capacity>")),
            "{xml}"
        );
        assert!(
            xml.contains(&format!("<available unit='bytes'>{free}</available>")),
            "{xml}"
        );
        assert_eq!(def.target_path.as_deref(), Some(target.as_str()));
        assert!(xml.contains("<mode>00</mode>"), "{xml}");
        assert!(d.pool_is_active(&pool).unwrap());
        assert!(d.pool_is_persistent(&pool).unwrap());
        assert!(d.pool_get_autostart(&pool).unwrap());
        d.pool_set_autostart(&pool, true).unwrap();
        let e = expect_err(d.pool_set_autostart(&pool, false));
        assert_eq!(
            e.message,
            "internal error: Cannot deactivate storage pool autostart"
        );
        d.pool_refresh(&pool, 0).unwrap();
        assert_eq!(expect_err(d.pool_refresh(&pool, 1)).code, VIR_ERR_INVALID_ARG);
        assert_eq!(
            expect_err(d.pool_get_xml_desc(&pool, 1)).code,
            VIR_ERR_INVALID_ARG
        );
    }
    let e = expect_err(d.pool_lookup_by_name("nosuch"));
    assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_NO_STORAGE_POOL));
    assert_eq!(
        e.message,
        "Storage pool not found: Could not find storage pool with name 'nosuch'"
    );
    assert_eq!(
        expect_err(d.pool_lookup_by_uuid(&Uuid([1; 16]))).code,
        VIR_ERR_NO_STORAGE_POOL
    );
    let missing = PoolRef {
        name: "nosuch".into(),
        uuid: Uuid([1; 16]),
    };
    assert_eq!(
        expect_err(d.pool_get_info(&missing)).code,
        VIR_ERR_NO_STORAGE_POOL
    );
}

#[test]
fn images_are_volumes() {
    let sim = esx_sim();
    let (conn, counter) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let ds = datastores(&o)[0]["summary.name"].clone();
    let dc = o.objects("Datacenter", &["name"])[0]["name"].clone();
    o.put_file(&dc, &format!("[{ds}] vm1/vm1.vmdk"), "# Disk DescriptorFile\n");
    o.put_file(&dc, &format!("[{ds}] isos/boot.iso"), "0123456789");
    o.put_file(&dc, &format!("[{ds}] vm1/vm1.vmx"), "config.version = \"8\"\n");
    let pool = d.pool_lookup_by_name(&ds).unwrap();
    let before = counter.load(Ordering::Relaxed);
    let mut names = d.pool_list_volumes(&pool).unwrap();
    // The datastore, the search call and one look at its task (the
    // simulator finishes searches at once).
    assert_eq!(counter.load(Ordering::Relaxed) - before, 3, "listing the volumes");
    names.sort();
    // Disk and ISO images are volumes; the VMX file is not.
    assert!(names.contains(&"vm1/vm1.vmdk".to_string()), "{names:?}");
    assert!(names.contains(&"isos/boot.iso".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".vmx")), "{names:?}");

    // A disk: keyed by the UUID the server gives it.
    let path = format!("[{ds}] vm1/vm1.vmdk");
    let before = counter.load(Ordering::Relaxed);
    let disk = d.vol_lookup_by_name(&pool, "vm1/vm1.vmdk").unwrap();
    // The same three, and the disk's UUID.
    assert_eq!(counter.load(Ordering::Relaxed) - before, 4, "looking a disk up");
    assert_eq!(disk.pool, ds);
    assert_eq!(disk.key, disk_uuid(&o, &path));
    assert_eq!(d.vol_get_path(&disk).unwrap(), path);
    assert_eq!(d.vol_lookup_by_path(&path).unwrap(), disk);
    assert_eq!(d.vol_lookup_by_key(&disk.key).unwrap(), disk);
    assert_eq!(d.vol_lookup_by_key(&path).unwrap(), disk);
    assert_eq!(d.pool_lookup_by_volume(&disk).unwrap(), pool);
    let size = std::fs::metadata(backing_dir(&o, &ds).join("vm1/vm1.vmdk"))
        .unwrap()
        .len();
    let info = d.vol_get_info(&disk).unwrap();
    assert_eq!(info.vol_type, VIR_STORAGE_VOL_FILE);
    // The simulator tells no disk capacity: the file's size stands for it.
    assert_eq!((info.capacity, info.allocation), (size, size));
    let xml = d.vol_get_xml_desc(&disk, 0).unwrap();
    let def = VolumeDef::parse(&xml, VolFormats::File).unwrap();
    assert_eq!(def.name, "vm1/vm1.vmdk");
    assert_eq!(def.key.as_deref(), Some(disk.key.as_str()));
    assert_eq!(def.target_path.as_deref(), Some(path.as_str()));
    assert_eq!(def.format.as_deref(), Some("vmdk"));
    assert_eq!(def.capacity, size);

    // An ISO image: keyed by its path.
    let iso = d.vol_lookup_by_name(&pool, "isos/boot.iso").unwrap();
    assert_eq!(iso.key, format!("[{ds}] isos/boot.iso"));
    let info = d.vol_get_info(&iso).unwrap();
    assert_eq!((info.capacity, info.allocation), (10, 10));
    let xml = d.vol_get_xml_desc(&iso, 0).unwrap();
    assert!(xml.contains("<format type='iso'/>"), "{xml}");

    // What is not there.
    let e = expect_err(d.vol_lookup_by_name(&pool, "vm1/nosuch.vmdk"));
    assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_NO_STORAGE_VOL));
    assert!(
        e.message.contains("No storage volume with key or path"),
        "{}",
        e.message
    );
    let e = expect_err(d.vol_lookup_by_key("00000000-0000-0000-0000-000000000000"));
    assert_eq!(e.code, VIR_ERR_NO_STORAGE_VOL);
    let e = expect_err(d.vol_lookup_by_path("nosuch.vmdk"));
    assert_eq!(e.code, VIR_ERR_INVALID_ARG);
    assert_eq!(
        e.message,
        "invalid argument: Unexpected volume path format: nosuch.vmdk"
    );
}

#[test]
fn volumes_are_created_copied_and_deleted() {
    let sim = esx_sim();
    let (conn, _) = counted(&sim);
    let d = conn.driver();
    let o = Oracle::new(sim.port, false, "root", "pw");
    let ds = datastores(&o)[0]["summary.name"].clone();
    let dir = backing_dir(&o, &ds);
    let pool = d.pool_lookup_by_name(&ds).unwrap();

    let xml = "<volume><name>new/disk1.vmdk</name><capacity unit='M'>10</capacity>\
               <allocation>0</allocation><target><format type='vmdk'/></target></volume>";
    let vol = d.vol_create_xml(&pool, xml, 0).unwrap();
    assert_eq!(vol.name, "new/disk1.vmdk");
    assert!(
        dir.join("new/disk1.vmdk").exists(),
        "the disk is on the datastore"
    );
    assert_eq!(vol.key, disk_uuid(&o, &format!("[{ds}] new/disk1.vmdk")));
    assert!(d.pool_list_volumes(&pool).unwrap().contains(&vol.name));
    // Creating it again fails with the server's reason.
    let e = expect_err(d.vol_create_xml(&pool, xml, 0));
    assert!(
        e.message.starts_with("internal error: Could not create volume: "),
        "{}",
        e.message
    );

    let copy_xml = "<volume><name>copies/disk2.vmdk</name><capacity>1024</capacity>\
                    <target><format type='vmdk'/></target></volume>";
    let copy = d.vol_create_xml_from(&pool, copy_xml, &vol, 0).unwrap();
    assert_eq!(copy.name, "copies/disk2.vmdk");
    assert!(
        dir.join("copies/disk2.vmdk").exists(),
        "the copy is on the datastore"
    );
    assert_ne!(copy.key, vol.key);

    d.vol_delete(&copy, 0).unwrap();
    assert!(!dir.join("copies/disk2.vmdk").exists(), "the copy is gone");
    assert_eq!(
        expect_err(d.vol_lookup_by_name(&pool, "copies/disk2.vmdk")).code,
        VIR_ERR_NO_STORAGE_VOL
    );
    assert_eq!(expect_err(d.vol_delete(&vol, 1)).code, VIR_ERR_INVALID_ARG);

    // The simulator has no ZeroFillVirtualDisk_Task: a clear error.
    let e = expect_err(d.vol_wipe(&vol, 0));
    assert_eq!(e.domain, VIR_FROM_ESX);
    assert!(e.message.contains("ZeroFillVirtualDisk_Task"), "{}", e.message);

    // libvirt's refusals, before anything is made.
    let refused = [
        (
            "<volume><name>flat.vmdk</name><capacity>1024</capacity><target><format type='vmdk'/></target></volume>",
            VIR_ERR_INTERNAL_ERROR,
            "internal error: Volume name 'flat.vmdk' doesn't have expected format '<directory>/<file>'",
        ),
        (
            "<volume><name>d/disk.img</name><capacity>1024</capacity><target><format type='vmdk'/></target></volume>",
            VIR_ERR_NO_SUPPORT,
            "this function is not supported by the connection driver: Volume name 'd/disk.img' has unsupported suffix, expecting '.vmdk'",
        ),
        (
            "<volume><name>d/disk.vmdk</name><capacity>1024</capacity></volume>",
            VIR_ERR_NO_SUPPORT,
            "this function is not supported by the connection driver: Creation of raw volumes is not supported",
        ),
        (
            "<volume><name>d/disk.vmdk</name><capacity>4096</capacity><allocation>1024</allocation><target><format type='vmdk'/></target></volume>",
            VIR_ERR_INTERNAL_ERROR,
            "internal error: Unsupported capacity-to-allocation relation",
        ),
        (
            "<volume type='block'><name>d/disk.vmdk</name><capacity>1024</capacity></volume>",
            VIR_ERR_NO_SUPPORT,
            "this function is not supported by the connection driver: Creating non-file volumes is not supported",
        ),
    ];
    for (xml, code, message) in refused {
        let e = expect_err(d.vol_create_xml(&pool, xml, 0));
        assert_eq!((e.domain, e.code), (VIR_FROM_ESX, code), "{xml}");
        assert_eq!(e.message, message);
    }
    assert!(!dir.join("d").exists(), "a refused volume made nothing");

    d.vol_delete(&vol, 0).unwrap();
    assert!(!dir.join("new/disk1.vmdk").exists());
}
