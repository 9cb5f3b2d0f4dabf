//! The XDR codec and packet framing against libvirt's byte-exact vectors
//! (shared/conformance/rpc-vectors): every vector decodes, re-encodes to the
//! same bytes, and every truncation of it is refused.

use std::path::PathBuf;

use virt::rpc::packet::{self, Header, MessageType, RemoteError, Status};
use virt::rpc::xdr::{Decoder, Encoder, Xdr};
use virt::Result;

fn vectors() -> PathBuf {
    PathBuf::from(
        std::env::var("RPC_VECTORS").unwrap_or_else(|_| "/work/shared/conformance/rpc-vectors".into()),
    )
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vectors().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// demo.x's types.  Enums and chars travel as 4-byte ints.
#[derive(Debug, Clone, PartialEq)]
struct TestStruct {
    c1: i32,
    c2: i32,
}
virt::xdr_struct!(TestStruct { c1, c2 });

#[derive(Debug, Clone, PartialEq)]
enum TestUnion {
    I1(i32),
    I2(i32),
    I3(i32, i32),
}

impl Xdr for TestUnion {
    fn encode(&self, e: &mut Encoder) {
        match *self {
            TestUnion::I1(v) => (e.i32(20), e.i32(v)),
            TestUnion::I2(v) => (e.i32(30), e.i32(v)),
            TestUnion::I3(t, v) => (e.i32(t), e.i32(v)),
        };
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(match d.i32()? {
            20 => TestUnion::I1(d.i32()?),
            30 => TestUnion::I2(d.i32()?),
            t => TestUnion::I3(t, d.i32()?),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TestUnionVoidDefault {
    I1(i32),
    I2(i32),
    Other(i32),
}

impl Xdr for TestUnionVoidDefault {
    fn encode(&self, e: &mut Encoder) {
        match *self {
            Self::I1(v) => (e.i32(21), e.i32(v)),
            Self::I2(v) => (e.i32(31), e.i32(v)),
            Self::Other(t) => (e.i32(t), ()),
        };
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(match d.i32()? {
            21 => Self::I1(d.i32()?),
            31 => Self::I2(d.i32()?),
            t => Self::Other(t),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TestUnionNoDefault {
    I1(i32),
    I2(i32),
}

impl Xdr for TestUnionNoDefault {
    fn encode(&self, e: &mut Encoder) {
        match *self {
            Self::I1(v) => (e.i32(22), e.i32(v)),
            Self::I2(v) => (e.i32(32), e.i32(v)),
        };
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(match d.i32()? {
            22 => Self::I1(d.i32()?),
            32 => Self::I2(d.i32()?),
            t => return Err(virt::rpc::xdr::decode_error(&format!("bad discriminant {t}"))),
        })
    }
}

/// A fixed array `T x[N]`.
#[derive(Debug, Clone, PartialEq)]
struct Fixed<T, const N: usize>(Vec<T>);

impl<T: Xdr, const N: usize> Xdr for Fixed<T, N> {
    fn encode(&self, e: &mut Encoder) {
        self.0.iter().for_each(|x| x.encode(e));
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(Fixed(d.fixed_array(N)?))
    }
}

/// A variable array `T x<N>`.
#[derive(Debug, Clone, PartialEq)]
struct Var<T, const N: usize>(Vec<T>);

impl<T: Xdr, const N: usize> Xdr for Var<T, N> {
    fn encode(&self, e: &mut Encoder) {
        e.array(&self.0, N);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(Var(d.array(N)?))
    }
}

/// `opaque x[N]`.
#[derive(Debug, Clone, PartialEq)]
struct OpaqueFixed<const N: usize>(Vec<u8>);

impl<const N: usize> Xdr for OpaqueFixed<N> {
    fn encode(&self, e: &mut Encoder) {
        e.opaque_fixed(&self.0);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(OpaqueFixed(d.opaque_fixed(N)?.to_vec()))
    }
}

/// `opaque x<N>`.
#[derive(Debug, Clone, PartialEq)]
struct OpaqueVar<const N: usize>(Vec<u8>);

impl<const N: usize> Xdr for OpaqueVar<N> {
    fn encode(&self, e: &mut Encoder) {
        e.opaque(&self.0, N);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(OpaqueVar(d.opaque(N)?.to_vec()))
    }
}

/// `string x<N>`.
#[derive(Debug, Clone, PartialEq)]
struct Str<const N: usize>(String);

impl<const N: usize> Xdr for Str<N> {
    fn encode(&self, e: &mut Encoder) {
        e.string(&self.0, N);
    }
    fn decode(d: &mut Decoder) -> Result<Self> {
        Ok(Str(d.string(N)?))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct AllTypes {
    sc: i32,
    suc: u32,
    ss: i32,
    sus: u32,
    si: i32,
    sui: u32,
    sh: i64,
    suh: u64,
    sb: bool,
    sf: f32,
    sd: f64,
    ip: Option<i32>,
    ifa: Fixed<i32, 25>,
    iva: Var<i32, 0x27>,
    stva: Str<0o31>,
    ofa: OpaqueFixed<33>,
    ova: OpaqueVar<35>,
    e1: i32,
    e2: i32,
    ep: Option<i32>,
    efa: Fixed<i32, 37>,
    eva: Var<i32, 39>,
    s: TestStruct,
    sp: Option<TestStruct>,
    sfa: Fixed<TestStruct, 41>,
    sva: Var<TestStruct, 43>,
    u: TestUnion,
    up: Option<TestUnion>,
    ufa: Fixed<TestUnion, 45>,
    uva: Var<TestUnion, 47>,
    tis: i32,
    tip: Option<i32>,
    tifa: Fixed<i32, 3>,
    tiva: Var<i32, 5>,
    tstva: Str<7>,
    tofa: OpaqueFixed<9>,
    tova: OpaqueVar<11>,
    tes: i32,
    tep: Option<i32>,
    tefa: Fixed<i32, 13>,
    teva: Var<i32, 15>,
    tss: TestStruct,
    tsp: Option<TestStruct>,
    tsfa: Fixed<TestStruct, 17>,
    tsva: Var<TestStruct, 19>,
    tu: TestUnion,
    tup: Option<TestUnion>,
    tufa: Fixed<TestUnion, 21>,
    tuva: Var<TestUnion, 23>,
}
virt::xdr_struct!(AllTypes {
    sc,
    suc,
    ss,
    sus,
    si,
    sui,
    sh,
    suh,
    sb,
    sf,
    sd,
    ip,
    ifa,
    iva,
    stva,
    ofa,
    ova,
    e1,
    e2,
    ep,
    efa,
    eva,
    s,
    sp,
    sfa,
    sva,
    u,
    up,
    ufa,
    uva,
    tis,
    tip,
    tifa,
    tiva,
    tstva,
    tofa,
    tova,
    tes,
    tep,
    tefa,
    teva,
    tss,
    tsp,
    tsfa,
    tsva,
    tu,
    tup,
    tufa,
    tuva
});

/// Decodes the vector, checks it re-encodes byte for byte, and that every
/// shorter prefix is refused.
fn roundtrip<T: Xdr + std::fmt::Debug>(file: &str) -> T {
    let bytes = read(&format!("rpcgen-demo/{file}.bin"));
    let v: T = virt::rpc::xdr::from_bytes(&bytes).unwrap_or_else(|e| panic!("{file}: {e:?}"));
    assert_eq!(virt::rpc::xdr::to_bytes(&v).unwrap(), bytes, "{file} re-encoded");
    for cut in 0..bytes.len() {
        assert!(
            virt::rpc::xdr::from_bytes::<T>(&bytes[..cut]).is_err(),
            "{file} truncated to {cut} bytes decoded"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0, 0, 0, 0]);
    assert!(
        virt::rpc::xdr::from_bytes::<T>(&longer).is_err(),
        "{file} with trailing bytes"
    );
    v
}

#[test]
fn rpcgen_demo_vectors() {
    assert_eq!(roundtrip::<i32>("test_demo_int_scalar"), 1729);
    assert_eq!(roundtrip::<i32>("test_demo_enum"), 2);
    assert_eq!(roundtrip::<i32>("test_demo_enum_scalar"), 2);
    assert_eq!(roundtrip::<Option<i32>>("test_demo_enum_pointer_null"), None);
    assert_eq!(roundtrip::<Option<i32>>("test_demo_enum_pointer_set"), Some(2));
    roundtrip::<Fixed<i32, 13>>("test_demo_enum_fixed_array");
    assert_eq!(
        roundtrip::<Var<i32, 15>>("test_demo_enum_variable_array_empty").0,
        vec![]
    );
    assert_eq!(
        roundtrip::<Var<i32, 15>>("test_demo_enum_variable_array_set").0,
        vec![1, 2, 1]
    );
    assert_eq!(
        roundtrip::<Fixed<i32, 3>>("test_demo_int_fixed_array").0,
        vec![1729, 0, 87539319]
    );
    assert_eq!(roundtrip::<Option<i32>>("test_demo_int_pointer_null"), None);
    assert_eq!(roundtrip::<Option<i32>>("test_demo_int_pointer_set"), Some(1729));
    roundtrip::<Var<i32, 5>>("test_demo_int_variable_array_empty");
    assert_eq!(
        roundtrip::<Var<i32, 5>>("test_demo_int_variable_array_set").0,
        vec![1729, 0, 87539319]
    );
    assert_eq!(
        roundtrip::<OpaqueFixed<9>>("test_demo_opaque_fixed_array").0,
        [0xca, 0xfe, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78]
    );
    roundtrip::<OpaqueVar<11>>("test_demo_opaque_variable_array_empty");
    assert_eq!(
        roundtrip::<OpaqueVar<11>>("test_demo_opaque_variable_array_set").0,
        [0xca, 0xfe, 0x12]
    );
    roundtrip::<Str<7>>("test_demo_string_variable_array_empty");
    assert_eq!(
        roundtrip::<Str<7>>("test_demo_string_variable_array_set").0,
        "taxis"
    );
    assert_eq!(
        roundtrip::<TestStruct>("test_demo_struct"),
        TestStruct {
            c1: 'a' as i32,
            c2: 'b' as i32
        }
    );
    roundtrip::<Fixed<TestStruct, 17>>("test_demo_struct_fixed_array");
    roundtrip::<Option<TestStruct>>("test_demo_struct_pointer_null");
    roundtrip::<Option<TestStruct>>("test_demo_struct_pointer_set");
    roundtrip::<TestStruct>("test_demo_struct_scalar");
    roundtrip::<Var<TestStruct, 19>>("test_demo_struct_variable_array_empty");
    assert_eq!(
        roundtrip::<Var<TestStruct, 19>>("test_demo_struct_variable_array_set")
            .0
            .len(),
        3
    );
    let all = roundtrip::<AllTypes>("test_demo_test_struct_all_types");
    assert_eq!((all.sc, all.ss, all.sh, all.sb), (120, -7, -87539319, true));
    assert_eq!(
        roundtrip::<TestUnion>("test_demo_union_case"),
        TestUnion::I1(1729)
    );
    assert_eq!(
        roundtrip::<TestUnion>("test_demo_union_default"),
        TestUnion::I3(87539319, 1729)
    );
    roundtrip::<Fixed<TestUnion, 21>>("test_demo_union_fixed_array");
    assert_eq!(
        roundtrip::<TestUnionNoDefault>("test_demo_union_no_default_case"),
        TestUnionNoDefault::I1(1729)
    );
    roundtrip::<Option<TestUnion>>("test_demo_union_pointer_null");
    roundtrip::<Option<TestUnion>>("test_demo_union_pointer_set");
    roundtrip::<TestUnion>("test_demo_union_scalar");
    roundtrip::<Var<TestUnion, 23>>("test_demo_union_variable_array_empty");
    roundtrip::<Var<TestUnion, 23>>("test_demo_union_variable_array_set");
    assert_eq!(
        roundtrip::<TestUnionVoidDefault>("test_demo_union_void_default_case"),
        TestUnionVoidDefault::I1(1729)
    );
    assert_eq!(
        roundtrip::<TestUnionVoidDefault>("test_demo_union_void_default_default"),
        TestUnionVoidDefault::Other(87539319)
    );
}

#[test]
fn every_demo_vector_is_covered() {
    let src = include_str!("rpc_vectors.rs");
    for entry in std::fs::read_dir(vectors().join("rpcgen-demo")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".bin") {
            assert!(src.contains(&format!("\"{stem}\"")), "{name} is not tested");
        }
    }
}

fn demo_header(kind: MessageType, status: Status) -> Header {
    Header {
        prog: 0x11223344,
        vers: 1,
        proc_: 0x666,
        kind,
        serial: 0x99,
        status,
    }
}

#[test]
fn header_vectors() {
    let call = read("header-call.bin");
    let h = demo_header(MessageType::Call, Status::Ok);
    assert_eq!(packet::encode(&h, &[]).unwrap(), call);
    assert_eq!(packet::decode(&call).unwrap(), (h, &[][..]));

    let reply = read("header-reply-error.bin");
    let h = demo_header(MessageType::Reply, Status::Error);
    assert_eq!(packet::decode(&reply).unwrap().0, h);
    assert_eq!(packet::encode(&h, &[]).unwrap(), reply);
}

#[test]
fn error_payload_vector() {
    let bytes = read("message-error-payload.bin");
    let (h, payload) = packet::decode(&bytes).unwrap();
    assert_eq!(h, demo_header(MessageType::Message, Status::Error));
    let err: RemoteError = virt::rpc::xdr::from_bytes(payload).unwrap();
    assert_eq!(err.message.as_deref(), Some("Hello World"));
    assert_eq!(
        (err.code, err.domain, err.level, err.int1, err.int2),
        (1, 7, 2, 1, 2)
    );
    assert_eq!(
        (err.str1.as_deref(), err.str2.as_deref(), err.str3.as_deref()),
        (Some("One"), Some("Two"), Some("Three"))
    );
    assert!(err.dom.is_none() && err.net.is_none());
    let again = packet::encode(&h, &virt::rpc::xdr::to_bytes(&err).unwrap()).unwrap();
    assert_eq!(again, bytes);
    let as_error = virt::Error::from(err);
    assert_eq!(as_error.message, "Hello World");
}

#[test]
fn stream_vector_is_raw() {
    let bytes = read("message-stream-raw.bin");
    let (h, payload) = packet::decode(&bytes).unwrap();
    assert_eq!(h, demo_header(MessageType::Stream, Status::Continue));
    assert_eq!(payload, b"The quick brown fox jumps over the lazy dog");
    assert_eq!(packet::encode(&h, payload).unwrap(), bytes);
}

#[test]
fn keepalive_vectors() {
    for (file, proc_) in [
        ("keepalive-ping.bin", packet::KEEPALIVE_PING),
        ("keepalive-pong.bin", packet::KEEPALIVE_PONG),
    ] {
        let bytes = read(file);
        let h = Header::keepalive(proc_);
        assert_eq!(packet::encode(&h, &[]).unwrap(), bytes);
        assert_eq!(packet::decode(&bytes).unwrap().0, h);
    }
}

#[test]
fn bad_packets_are_errors() {
    let call = read("header-call.bin");
    for cut in 0..call.len() {
        assert!(packet::decode(&call[..cut]).is_err(), "cut at {cut}");
    }
    // Lengths below the header size or above 32 MiB are refused up front.
    assert!(packet::body_len([0, 0, 0, 3]).is_err());
    assert!(packet::body_len([0, 0, 0, 27]).is_err());
    assert!(packet::body_len([0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(packet::body_len([0x02, 0x00, 0x00, 0x05]).is_err());
    assert_eq!(packet::body_len([0x02, 0x00, 0x00, 0x04]).unwrap(), 0x0200_0000);
    // Unknown type or status.
    let mut bad = call.clone();
    bad[19] = 9;
    assert!(packet::decode(&bad).is_err());
    let mut bad = call;
    bad[27] = 7;
    assert!(packet::decode(&bad).is_err());
    // An error payload whose message claims 4 GiB.
    let mut e = Encoder::new();
    e.i32(1);
    e.i32(7);
    e.u32(1);
    e.u32(0xffff_fff0);
    let garbage = e.finish().unwrap();
    assert!(virt::rpc::xdr::from_bytes::<RemoteError>(&garbage).is_err());
}
