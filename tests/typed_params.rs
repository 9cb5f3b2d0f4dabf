//! The typed-parameter exports of libvirt-common.h, the free helpers of
//! libvirt-domain.h / libvirt-network.h and the conversions drivers use,
//! called through the rlib.  Expected values were read off libvirt 9.0 (see
//! tests/c/typed_params.c for the same cases run on both libraries).
#![allow(non_snake_case)]

use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::ptr;

use virt::abi::*;
use virt::ffi::common::*;
use virt::ffi::dispatch;
use virt::ffi::domain::*;
use virt::ffi::network::*;
use virt::typed_params::{ParamType, TypedParam, TypedValue};
use virt::Error;

thread_local! {
    static REPORTED: Cell<usize> = const { Cell::new(0) };
}

/// Counts the errors reported on this thread (and keeps the default printer quiet).
unsafe extern "C" fn count_reports(_: *mut c_void, _: virErrorPtr) {
    REPORTED.with(|c| c.set(c.get() + 1));
}

fn quiet() {
    dispatch::set_global_handler(Some(count_reports), ptr::null_mut());
}

fn reported() -> usize {
    REPORTED.with(Cell::get)
}

fn last_error() -> Option<Error> {
    dispatch::with_last(|l| {
        // SAFETY: the stored error's strings are NUL-terminated or NULL.
        (l.code() != 0).then(|| unsafe { dispatch::from_raw(&*l.as_ptr()) })
    })
    .flatten()
}

fn last_message() -> String {
    last_error().map(|e| e.message).unwrap_or_default()
}

/// Leaves an error behind, as the C tests do, to see who resets it.
fn raise_some_error() {
    let mut l = List::new();
    assert_eq!(l.add_from_string("x", 99, Some("1")), -1);
    assert!(last_error().is_some());
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A caller's growable parameter array.
struct List {
    p: virTypedParameterPtr,
    n: c_int,
    max: c_int,
}

impl List {
    fn new() -> Self {
        quiet();
        List {
            p: ptr::null_mut(),
            n: 0,
            max: 0,
        }
    }

    fn int(&mut self, name: &str, v: i32) -> c_int {
        // SAFETY: valid pointers to our fields and a C string.
        unsafe { virTypedParamsAddInt(&mut self.p, &mut self.n, &mut self.max, c(name).as_ptr(), v) }
    }

    fn string(&mut self, name: &str, v: Option<&str>) -> c_int {
        let v = v.map(c);
        let vp = v.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        // SAFETY: as above; vp is NULL or a C string.
        unsafe { virTypedParamsAddString(&mut self.p, &mut self.n, &mut self.max, c(name).as_ptr(), vp) }
    }

    fn add_from_string(&mut self, name: &str, ty: c_int, v: Option<&str>) -> c_int {
        let v = v.map(c);
        let vp = v.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        // SAFETY: as above.
        unsafe {
            virTypedParamsAddFromString(&mut self.p, &mut self.n, &mut self.max, c(name).as_ptr(), ty, vp)
        }
    }

    fn slots(&self) -> &[virTypedParameter] {
        if self.p.is_null() {
            return &[];
        }
        // SAFETY: p holds max initialised (zeroed beyond n) elements.
        unsafe { std::slice::from_raw_parts(self.p, self.max as usize) }
    }

    fn name(&self, i: usize) -> String {
        // SAFETY: our slots' fields are NUL-terminated.
        unsafe { CStr::from_ptr(self.slots()[i].field.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    fn str_value(&self, i: usize) -> Option<String> {
        let slot = &self.slots()[i];
        assert_eq!(slot.r#type, VIR_TYPED_PARAM_STRING);
        // SAFETY: a string slot holds a C string or NULL.
        unsafe {
            (!slot.value.s.is_null()).then(|| CStr::from_ptr(slot.value.s).to_string_lossy().into_owned())
        }
    }

    fn get_int(&self, name: &str) -> (c_int, c_int) {
        let mut v = -12345;
        // SAFETY: our array and valid pointers.
        let rc = unsafe { virTypedParamsGetInt(self.p, self.n, c(name).as_ptr(), &mut v) };
        (rc, v)
    }
}

impl Drop for List {
    fn drop(&mut self) {
        // SAFETY: our array of n parameters.
        unsafe { virTypedParamsFree(self.p, self.n) };
    }
}

#[test]
fn arrays_grow_like_libvirts() {
    let mut l = List::new();
    let mut seen = vec![];
    for i in 0..14 {
        assert_eq!(l.int(&format!("i{i}"), i), 0);
        seen.push((l.n, l.max));
    }
    let maxes: Vec<c_int> = seen.iter().map(|&(_, m)| m).collect();
    assert_eq!(maxes, [1, 2, 3, 4, 6, 6, 9, 9, 9, 13, 13, 13, 13, 19]);
    assert_eq!(seen.last().unwrap().0, 14);
    // Room past the count is zeroed.
    for slot in &l.slots()[14..] {
        assert_eq!((slot.field[0], slot.r#type), (0, 0));
    }
    assert_eq!(l.get_int("i13"), (1, 13));
}

#[test]
fn caller_arrays_keep_their_room() {
    let mut l = List::new();
    // SAFETY: a calloc'ed array of 5, as a C caller would provide.
    l.p = unsafe { libc::calloc(5, std::mem::size_of::<virTypedParameter>()) }.cast();
    l.max = 5;
    assert_eq!(l.int("a", 1), 0);
    assert_eq!((l.n, l.max), (1, 5));
    l.n = 5;
    assert_eq!(l.int("b", 2), 0);
    assert_eq!((l.n, l.max), (6, 7));
    assert_eq!(l.name(5), "b");

    // A count beyond the capacity grows to exactly the count + 1.
    let mut l = List::new();
    l.n = 3;
    assert_eq!(l.int("a", 1), 0);
    assert_eq!((l.n, l.max), (4, 4));
    assert_eq!(l.name(3), "a");
    l.n = 4;
}

#[test]
fn every_type_round_trips() {
    let mut l = List::new();
    let name = c("v");
    let (p, n, m) = (&mut l.p, &mut l.n, &mut l.max);
    // SAFETY: valid pointers to the list and C strings.
    unsafe {
        assert_eq!(virTypedParamsAddInt(p, n, m, c("int").as_ptr(), -7), 0);
        assert_eq!(
            virTypedParamsAddUInt(p, n, m, c("uint").as_ptr(), 4_000_000_000),
            0
        );
        assert_eq!(
            virTypedParamsAddLLong(p, n, m, c("llong").as_ptr(), -9_000_000_000_000),
            0
        );
        assert_eq!(
            virTypedParamsAddULLong(p, n, m, c("ullong").as_ptr(), u64::MAX),
            0
        );
        assert_eq!(virTypedParamsAddDouble(p, n, m, c("double").as_ptr(), 2.5), 0);
        assert_eq!(virTypedParamsAddBoolean(p, n, m, c("bool").as_ptr(), 256), 0);
        assert_eq!(virTypedParamsAddBoolean(p, n, m, c("false").as_ptr(), 0), 0);
        assert_eq!(
            virTypedParamsAddString(p, n, m, c("string").as_ptr(), name.as_ptr()),
            0
        );
        assert_eq!(virTypedParamsAddString(p, n, m, c("").as_ptr(), ptr::null()), 0);
    }
    assert_eq!(l.n, 9);
    assert_eq!(l.slots()[5].r#type, VIR_TYPED_PARAM_BOOLEAN);
    // SAFETY: a boolean slot.
    assert_eq!(unsafe { l.slots()[5].value.b }, 1, "stored as 0/1");
    assert_eq!(l.str_value(7).as_deref(), Some("v"));
    // SAFETY: a string slot.
    let stored = unsafe { l.slots()[7].value.s };
    assert_ne!(stored.cast_const(), name.as_ptr(), "a copy");
    assert_eq!(
        l.str_value(8).as_deref(),
        Some(""),
        "NULL is stored as an empty string"
    );

    let key = |s: &str| c(s);
    let (mut i, mut u, mut ll, mut ull, mut d, mut b) = (0, 0, 0, 0, 0.0, 0);
    let mut s: *const c_char = ptr::null();
    // SAFETY: our array and valid out-pointers.
    unsafe {
        assert_eq!(virTypedParamsGetInt(l.p, l.n, key("int").as_ptr(), &mut i), 1);
        assert_eq!(virTypedParamsGetUInt(l.p, l.n, key("uint").as_ptr(), &mut u), 1);
        assert_eq!(
            virTypedParamsGetLLong(l.p, l.n, key("llong").as_ptr(), &mut ll),
            1
        );
        assert_eq!(
            virTypedParamsGetULLong(l.p, l.n, key("ullong").as_ptr(), &mut ull),
            1
        );
        assert_eq!(
            virTypedParamsGetDouble(l.p, l.n, key("double").as_ptr(), &mut d),
            1
        );
        assert_eq!(
            virTypedParamsGetBoolean(l.p, l.n, key("bool").as_ptr(), &mut b),
            1
        );
        assert_eq!(
            (i, u, ll, ull, d, b),
            (-7, 4_000_000_000, -9_000_000_000_000, u64::MAX, 2.5, 1)
        );
        assert_eq!(
            virTypedParamsGetBoolean(l.p, l.n, key("false").as_ptr(), &mut b),
            1
        );
        assert_eq!(b, 0);
        assert_eq!(
            virTypedParamsGetString(l.p, l.n, key("string").as_ptr(), &mut s),
            1
        );
        assert_eq!(s, l.slots()[7].value.s.cast_const(), "not a copy");
        assert_eq!(virTypedParamsGetString(l.p, l.n, key("").as_ptr(), &mut s), 1);
        assert_eq!(CStr::from_ptr(s).to_bytes(), b"");
        // Raw boolean bytes other than 0/1 read as 1.
        (*l.p.add(5)).value.b = -1;
        assert_eq!(
            virTypedParamsGetBoolean(l.p, l.n, key("bool").as_ptr(), &mut b),
            1
        );
        assert_eq!(b, 1);
        // A NULL out-pointer is allowed for every getter.
        assert_eq!(
            virTypedParamsGetInt(l.p, l.n, key("int").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetUInt(l.p, l.n, key("uint").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetLLong(l.p, l.n, key("llong").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetULLong(l.p, l.n, key("ullong").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetDouble(l.p, l.n, key("double").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetBoolean(l.p, l.n, key("bool").as_ptr(), ptr::null_mut()),
            1
        );
        assert_eq!(
            virTypedParamsGetString(l.p, l.n, key("string").as_ptr(), ptr::null_mut()),
            1
        );
    }
    assert!(last_error().is_none());
}

#[test]
fn absent_and_null_lookups_find_nothing() {
    let mut l = List::new();
    l.int("a", 1);
    l.int("a", 2);
    assert_eq!(l.get_int("a"), (1, 1), "the first match wins");
    assert_eq!(l.get_int("b"), (0, -12345), "value untouched");
    let mut v = 0;
    // SAFETY: our array; NULLs where the cases want them.
    unsafe {
        assert_eq!(
            virTypedParamsGetInt(ptr::null_mut(), 5, c("a").as_ptr(), &mut v),
            0
        );
        assert_eq!(virTypedParamsGetInt(l.p, l.n, ptr::null(), &mut v), 0);
        assert_eq!(virTypedParamsGetInt(l.p, 0, c("a").as_ptr(), &mut v), 0);
        let first = virTypedParamsGet(l.p, l.n, c("a").as_ptr());
        assert_eq!(first, l.p);
        assert!(virTypedParamsGet(l.p, l.n, c("b").as_ptr()).is_null());
        assert!(virTypedParamsGet(ptr::null_mut(), 3, c("a").as_ptr()).is_null());
        assert!(virTypedParamsGet(l.p, l.n, ptr::null()).is_null());
    }
    assert!(last_error().is_none());
}

#[test]
fn type_mismatches_are_libvirts_invalid_argument() {
    let mut l = List::new();
    l.int("i", 1);
    l.string("s", Some("x"));
    let before = reported();
    let (mut u, mut s): (c_uint, *const c_char) = (7, ptr::null());
    let (mut ll, mut ull, mut d, mut b) = (0, 0, 0.0, 0);
    // SAFETY: our array and valid out-pointers.
    let cases: Vec<(c_int, &str)> = unsafe {
        vec![
            (
                virTypedParamsGetUInt(l.p, l.n, c("i").as_ptr(), &mut u),
                "'uint' requested for parameter 'i', actual type is 'int'",
            ),
            (
                virTypedParamsGetLLong(l.p, l.n, c("i").as_ptr(), &mut ll),
                "'llong' requested for parameter 'i', actual type is 'int'",
            ),
            (
                virTypedParamsGetULLong(l.p, l.n, c("s").as_ptr(), &mut ull),
                "'ullong' requested for parameter 's', actual type is 'string'",
            ),
            (
                virTypedParamsGetDouble(l.p, l.n, c("s").as_ptr(), &mut d),
                "'double' requested for parameter 's', actual type is 'string'",
            ),
            (
                virTypedParamsGetBoolean(l.p, l.n, c("i").as_ptr(), &mut b),
                "'boolean' requested for parameter 'i', actual type is 'int'",
            ),
            (
                virTypedParamsGetString(l.p, l.n, c("i").as_ptr(), &mut s),
                "'string' requested for parameter 'i', actual type is 'int'",
            ),
            (
                virTypedParamsGetInt(l.p, l.n, c("s").as_ptr(), ptr::null_mut()),
                "'int' requested for parameter 's', actual type is 'string'",
            ),
        ]
    };
    // Each failure is reported once; check the last one in full, the texts of all.
    let e = last_error().unwrap();
    assert_eq!(
        (e.code, e.domain, e.level),
        (VIR_ERR_INVALID_ARG, VIR_FROM_NONE, VIR_ERR_ERROR)
    );
    assert_eq!(e.str1.as_deref(), Some("invalid argument: %s"));
    assert_eq!(
        e.str2.as_deref(),
        Some("Invalid type 'int' requested for parameter 's', actual type is 'string'")
    );
    assert_eq!((e.int1, e.int2), (-1, -1));
    assert_eq!(reported() - before, cases.len());
    for (rc, _) in &cases {
        assert_eq!(*rc, -1);
    }
    assert_eq!(u, 7, "nothing written on failure");

    // Each message, one call at a time.
    let msg = |f: &dyn Fn() -> c_int, want: &str| {
        assert_eq!(f(), -1);
        assert_eq!(last_message(), format!("invalid argument: Invalid type {want}"));
    };
    // SAFETY: our array; NULL out-pointers are allowed.
    unsafe {
        msg(
            &|| virTypedParamsGetUInt(l.p, l.n, c("i").as_ptr(), ptr::null_mut()),
            cases[0].1,
        );
        msg(
            &|| virTypedParamsGetULLong(l.p, l.n, c("s").as_ptr(), ptr::null_mut()),
            cases[2].1,
        );
        msg(
            &|| virTypedParamsGetBoolean(l.p, l.n, c("i").as_ptr(), ptr::null_mut()),
            cases[4].1,
        );
        msg(
            &|| virTypedParamsGetString(l.p, l.n, c("i").as_ptr(), ptr::null_mut()),
            cases[5].1,
        );
    }

    // Types outside the enumeration print as libvirt prints them.
    for (ty, shown) in [(0, "unknown"), (8, "(null)"), (-3, "(null)")] {
        // SAFETY: our first slot.
        unsafe { (*l.p).r#type = ty };
        assert_eq!(l.get_int("i").0, -1);
        assert_eq!(
            last_message(),
            format!(
                "invalid argument: Invalid type 'int' requested for parameter 'i', actual type is '{shown}'"
            )
        );
    }
    // SAFETY: our first slot.
    unsafe { (*l.p).r#type = VIR_TYPED_PARAM_INT };
}

#[test]
fn long_names_fail_after_the_array_grew() {
    let mut l = List::new();
    assert_eq!(l.int(&"x".repeat(79), 1), 0);
    let long = "y".repeat(80);
    let want = format!("internal error: Field name '{long}' too long");
    assert_eq!(l.int(&long, 1), -1);
    assert_eq!((l.n, l.max), (1, 2), "grown, not counted");
    let e = last_error().unwrap();
    assert_eq!((e.code, e.domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE));
    assert_eq!(e.message, want);
    assert_eq!(e.str1.as_deref(), Some("internal error: %s"));

    let name = c(&long);
    let (p, n, m) = (&mut l.p, &mut l.n, &mut l.max);
    // SAFETY: valid pointers and C strings.
    let rcs = unsafe {
        [
            virTypedParamsAddUInt(p, n, m, name.as_ptr(), 1),
            virTypedParamsAddLLong(p, n, m, name.as_ptr(), 1),
            virTypedParamsAddULLong(p, n, m, name.as_ptr(), 1),
            virTypedParamsAddDouble(p, n, m, name.as_ptr(), 1.0),
            virTypedParamsAddBoolean(p, n, m, name.as_ptr(), 1),
            virTypedParamsAddString(p, n, m, name.as_ptr(), c("v").as_ptr()),
        ]
    };
    assert_eq!(rcs, [-1; 6]);
    assert_eq!(last_message(), want);
    assert_eq!(l.add_from_string(&long, VIR_TYPED_PARAM_INT, Some("1")), -1);
    assert_eq!(last_message(), want);
    assert_eq!(
        l.add_from_string(&long, 99, Some("1")),
        -1,
        "the name is checked before the type"
    );
    assert_eq!(last_message(), want);
    assert_eq!(l.add_from_string(&long, VIR_TYPED_PARAM_INT, Some("x")), -1);
    assert_eq!(last_message(), want);
    assert_eq!(
        l.add_from_string(&long, VIR_TYPED_PARAM_INT, None),
        -1,
        "but after the value"
    );
    assert_eq!(
        last_message(),
        format!("invalid argument: NULL value for field '{long}'")
    );
    assert_eq!(l.n, 1);
    assert_eq!(l.get_int(&long).0, 0);
}

#[test]
fn from_string_parses_like_libvirt() {
    use TypedValue::*;
    let ok: &[(c_int, &str, TypedValue)] = &[
        (VIR_TYPED_PARAM_INT, " \t+42", Int(42)),
        (VIR_TYPED_PARAM_INT, "\n-2147483648", Int(i32::MIN)),
        (VIR_TYPED_PARAM_INT, "010", Int(10)),
        (VIR_TYPED_PARAM_UINT, "-1", UInt(u32::MAX)),
        (VIR_TYPED_PARAM_UINT, "-4294967295", UInt(1)),
        (VIR_TYPED_PARAM_UINT, "4294967295", UInt(u32::MAX)),
        (VIR_TYPED_PARAM_LLONG, "-9223372036854775808", LLong(i64::MIN)),
        (VIR_TYPED_PARAM_ULLONG, "-1", ULLong(u64::MAX)),
        (
            VIR_TYPED_PARAM_ULLONG,
            "-9223372036854775809",
            ULLong(9223372036854775807),
        ),
        (VIR_TYPED_PARAM_DOUBLE, "0x1p3", Double(8.0)),
        (VIR_TYPED_PARAM_DOUBLE, " .5", Double(0.5)),
        (VIR_TYPED_PARAM_DOUBLE, "-INF", Double(f64::NEG_INFINITY)),
        (
            VIR_TYPED_PARAM_DOUBLE,
            "2.2250738585072014e-308",
            Double(f64::MIN_POSITIVE),
        ),
        (VIR_TYPED_PARAM_BOOLEAN, "TRUE", Boolean(true)),
        (VIR_TYPED_PARAM_BOOLEAN, "1", Boolean(true)),
        (VIR_TYPED_PARAM_BOOLEAN, "False", Boolean(false)),
        (VIR_TYPED_PARAM_BOOLEAN, "0", Boolean(false)),
        (VIR_TYPED_PARAM_STRING, " any text ", String(" any text ".into())),
        (VIR_TYPED_PARAM_STRING, "", String("".into())),
    ];
    for (ty, text, want) in ok {
        let mut l = List::new();
        assert_eq!(l.add_from_string("f", *ty, Some(text)), 0, "{text:?}");
        // SAFETY: a list of one parameter we built.
        let got = unsafe { params_from_c(l.p, l.n, VIR_FROM_NONE) }.unwrap();
        assert_eq!(got, [TypedParam::new("f", want.clone()).unwrap()], "{text:?}");
    }
    let mut l = List::new();
    assert_eq!(
        l.add_from_string("nan", VIR_TYPED_PARAM_DOUBLE, Some("nan(123)")),
        0
    );
    // SAFETY: a double slot.
    assert!(unsafe { l.slots()[0].value.d }.is_nan());

    let bad: &[(c_int, &str, &str)] = &[
        (VIR_TYPED_PARAM_INT, "1 ", "expected int"),
        (VIR_TYPED_PARAM_INT, "2147483648", "expected int"),
        (VIR_TYPED_PARAM_INT, "0x10", "expected int"),
        (VIR_TYPED_PARAM_INT, "", "expected int"),
        (VIR_TYPED_PARAM_UINT, "4294967296", "expected unsigned int"),
        (VIR_TYPED_PARAM_UINT, "-4294967296", "expected unsigned int"),
        (VIR_TYPED_PARAM_LLONG, "9223372036854775808", "expected long long"),
        (
            VIR_TYPED_PARAM_ULLONG,
            "18446744073709551616",
            "expected unsigned long long",
        ),
        (VIR_TYPED_PARAM_ULLONG, "- 1", "expected unsigned long long"),
        (VIR_TYPED_PARAM_DOUBLE, "1e309", "expected double"),
        (VIR_TYPED_PARAM_DOUBLE, "1e-310", "expected double"),
        (VIR_TYPED_PARAM_DOUBLE, "1e", "expected double"),
        (VIR_TYPED_PARAM_DOUBLE, "infinit", "expected double"),
    ];
    for (ty, text, want) in bad {
        let mut l = List::new();
        assert_eq!(l.add_from_string("f", *ty, Some(text)), -1, "{text:?}");
        let e = last_error().unwrap();
        assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_NONE));
        assert_eq!(
            e.message,
            format!("invalid argument: Invalid value for field 'f': {want}")
        );
        assert_eq!((l.n, l.max), (0, 1), "grown first");
    }
    for text in ["yes", "no", "on", " 1", "2", "01"] {
        let mut l = List::new();
        assert_eq!(l.add_from_string("b", VIR_TYPED_PARAM_BOOLEAN, Some(text)), -1);
        assert_eq!(
            last_message(),
            "invalid argument: Invalid boolean value for field 'b'"
        );
    }
    let mut l = List::new();
    for ty in [0, 8, -1, 99] {
        assert_eq!(l.add_from_string("q", ty, Some("1")), -1);
        let e = last_error().unwrap();
        assert_eq!(e.code, VIR_ERR_INTERNAL_ERROR);
        assert_eq!(
            e.message,
            format!("internal error: unexpected type {ty} for field q")
        );
    }
    assert_eq!(l.add_from_string("q", 99, None), -1, "the value is checked first");
    assert_eq!(last_message(), "invalid argument: NULL value for field 'q'");
    // SAFETY: valid pointers; NULL name and value on purpose.
    let rc =
        unsafe { virTypedParamsAddFromString(&mut l.p, &mut l.n, &mut l.max, ptr::null(), 1, ptr::null()) };
    assert_eq!(rc, -1);
    assert_eq!(last_message(), "invalid argument: NULL value for field '(null)'");

    // String values are copied byte for byte, UTF-8 or not.
    let latin1 = CString::new(&b"caf\xe9"[..]).unwrap();
    // SAFETY: valid pointers and C strings.
    let rc = unsafe {
        virTypedParamsAddFromString(
            &mut l.p,
            &mut l.n,
            &mut l.max,
            c("s").as_ptr(),
            7,
            latin1.as_ptr(),
        )
    };
    assert_eq!(rc, 0);
    // SAFETY: the string slot just added.
    assert_eq!(unsafe { CStr::from_ptr(l.slots()[0].value.s) }, latin1.as_c_str());
}

#[test]
fn string_lists_follow_libvirts_quirks() {
    let mut l = List::new();
    let values = [c("a"), c(""), c("c")];
    let mut list: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
    list.push(ptr::null());
    let mut empty: Vec<*const c_char> = vec![ptr::null()];
    let name = c("l");
    // SAFETY: valid pointers and NULL-terminated lists in every call.
    unsafe {
        raise_some_error();
        assert_eq!(
            virTypedParamsAddStringList(&mut l.p, &mut l.n, &mut l.max, name.as_ptr(), ptr::null_mut()),
            0
        );
        assert!(last_error().is_some(), "a NULL list resets nothing");
        assert_eq!(
            virTypedParamsAddStringList(&mut l.p, &mut l.n, &mut l.max, name.as_ptr(), empty.as_mut_ptr()),
            -1
        );
        assert!(
            last_error().is_some(),
            "an empty list fails without an error of its own"
        );
        assert_eq!(
            virTypedParamsAddStringList(&mut l.p, &mut l.n, &mut l.max, name.as_ptr(), list.as_mut_ptr()),
            0
        );
        assert!(last_error().is_none(), "each string added resets");
        assert_eq!((l.n, l.max), (3, 3));
        assert_eq!(
            [l.str_value(0), l.str_value(1), l.str_value(2)],
            [Some("a".into()), Some("".into()), Some("c".into())]
        );
        assert_eq!(l.name(2), "l");

        let long = c(&"z".repeat(80));
        assert_eq!(
            virTypedParamsAddStringList(&mut l.p, &mut l.n, &mut l.max, long.as_ptr(), list.as_mut_ptr()),
            -1
        );
        assert!(last_message().contains("too long"));
        assert_eq!(l.n, 3);

        // NULL params: libvirt only touches them when there is something to add.
        let (mut n, mut m) = (0, 0);
        assert_eq!(
            virTypedParamsAddStringList(ptr::null_mut(), &mut n, &mut m, name.as_ptr(), ptr::null_mut()),
            0
        );
        assert_eq!(
            virTypedParamsAddStringList(ptr::null_mut(), &mut n, &mut m, name.as_ptr(), empty.as_mut_ptr()),
            -1
        );
        assert_eq!(
            virTypedParamsAddStringList(ptr::null_mut(), &mut n, &mut m, name.as_ptr(), list.as_mut_ptr()),
            -1
        );
        assert_eq!(
            last_message(),
            "params in virTypedParamsAddStringList must not be NULL"
        );
    }
}

#[test]
fn who_resets_the_last_error() {
    let mut l = List::new();
    l.int("a", 1);
    l.string("s", Some("x"));
    raise_some_error();
    // SAFETY: our array.
    unsafe { virTypedParamsGet(l.p, l.n, c("a").as_ptr()) };
    assert!(last_error().is_some(), "virTypedParamsGet leaves it");
    // SAFETY: our array (its strings are freed and NULLed, harmless to repeat).
    unsafe { virTypedParamsClear(l.p, l.n) };
    assert!(last_error().is_some(), "virTypedParamsClear leaves it");
    // SAFETY: NULL is fine.
    unsafe { virTypedParamsFree(ptr::null_mut(), 3) };
    assert!(last_error().is_some(), "virTypedParamsFree leaves it");
    assert_eq!(l.get_int("nope").0, 0);
    assert!(last_error().is_none(), "the getters reset it");
    raise_some_error();
    assert_eq!(l.int("b", 2), 0);
    assert!(last_error().is_none(), "the Add functions reset it");
}

#[test]
fn clear_frees_strings_and_keeps_slots() {
    let mut l = List::new();
    l.int("i", 5);
    l.string("s", Some("text"));
    // SAFETY: our array.
    unsafe { virTypedParamsClear(l.p, l.n) };
    assert_eq!(l.slots()[1].r#type, VIR_TYPED_PARAM_STRING);
    assert_eq!(l.str_value(1), None);
    assert_eq!(l.get_int("i"), (1, 5));
    // SAFETY: clearing twice, zero or NULL is fine.
    unsafe {
        virTypedParamsClear(l.p, l.n);
        virTypedParamsClear(l.p, 0);
        virTypedParamsClear(ptr::null_mut(), 4);
        virTypedParamsFree(ptr::null_mut(), 0);
    }
}

#[test]
fn null_pointers_and_negative_counts_fail_instead_of_crashing() {
    let mut l = List::new();
    let name = c("a");
    let (mut n, mut m, mut neg) = (0, 0, -1);
    let mut p: virTypedParameterPtr = ptr::null_mut();
    let check = |rc: c_int, msg: &str, arg: &str| {
        assert_eq!(rc, -1, "{msg}");
        let e = last_error().unwrap();
        assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_ARG, VIR_FROM_NONE));
        assert_eq!(e.message, msg);
        assert_eq!(e.str2.as_deref(), Some(arg));
    };
    // SAFETY: the NULLs and negative counts are the point; the rest is valid.
    unsafe {
        check(
            virTypedParamsAddInt(ptr::null_mut(), &mut n, &mut m, name.as_ptr(), 1),
            "params in virTypedParamsAddInt must not be NULL",
            "params",
        );
        check(
            virTypedParamsAddUInt(&mut p, ptr::null_mut(), &mut m, name.as_ptr(), 1),
            "nparams in virTypedParamsAddUInt must not be NULL",
            "nparams",
        );
        check(
            virTypedParamsAddDouble(&mut p, &mut n, ptr::null_mut(), name.as_ptr(), 1.0),
            "maxparams in virTypedParamsAddDouble must not be NULL",
            "maxparams",
        );
        check(
            virTypedParamsAddLLong(&mut p, &mut neg, &mut m, name.as_ptr(), 1),
            "nparams in virTypedParamsAddLLong must be zero or greater",
            "nparams",
        );
        check(
            virTypedParamsAddULLong(&mut p, &mut n, &mut neg, name.as_ptr(), 1),
            "maxparams in virTypedParamsAddULLong must be zero or greater",
            "maxparams",
        );
        assert!(p.is_null(), "nothing allocated before the checks pass");
        check(
            virTypedParamsAddBoolean(&mut l.p, &mut l.n, &mut l.max, ptr::null(), 1),
            "name in virTypedParamsAddBoolean must not be NULL",
            "name",
        );
        check(
            virTypedParamsAddString(&mut l.p, &mut l.n, &mut l.max, ptr::null(), ptr::null()),
            "name in virTypedParamsAddString must not be NULL",
            "name",
        );
        check(
            virTypedParamsAddFromString(&mut l.p, &mut l.n, &mut l.max, ptr::null(), 1, c("1").as_ptr()),
            "name in virTypedParamsAddFromString must not be NULL",
            "name",
        );
        assert_eq!((l.n, l.max), (0, 1));
        l.int("a", 1);
        check(
            virTypedParamsGetInt(l.p, -1, name.as_ptr(), ptr::null_mut()),
            "nparams in virTypedParamsGetInt must be zero or greater",
            "nparams",
        );
        check(
            virTypedParamsGetString(l.p, -5, name.as_ptr(), ptr::null_mut()),
            "nparams in virTypedParamsGetString must be zero or greater",
            "nparams",
        );
        assert!(virTypedParamsGet(l.p, -1, name.as_ptr()).is_null());
        virTypedParamsClear(l.p, -1);
        assert_eq!(
            last_message(),
            "nparams in virTypedParamsClear must be zero or greater"
        );
        virTypedParamsFree(l.p, -1);
        assert_eq!(
            last_message(),
            "nparams in virTypedParamsFree must be zero or greater"
        );
        // Neither freed anything: the list is still usable and freed on drop.
        assert_eq!(l.get_int("a"), (1, 1));
        virTypedParamsClear(ptr::null_mut(), -1);
        virTypedParamsFree(ptr::null_mut(), -1);
    }
}

#[test]
fn failures_reach_the_error_callback_once() {
    let mut l = List::new();
    let before = reported();
    l.int(&"n".repeat(100), 1);
    assert_eq!(reported(), before + 1);
    l.get_int("absent");
    l.int("ok", 1);
    assert_eq!(reported(), before + 1, "successes report nothing");
}

#[test]
fn safe_params_convert_both_ways() {
    quiet();
    let params = vec![
        TypedParam::new("cpu.time", TypedValue::ULLong(123)).unwrap(),
        TypedParam::new("state", TypedValue::Int(1)).unwrap(),
        TypedParam::new("weight", TypedValue::UInt(500)).unwrap(),
        TypedParam::new("delta", TypedValue::LLong(-4)).unwrap(),
        TypedParam::new("ratio", TypedValue::Double(0.25)).unwrap(),
        TypedParam::new("on", TypedValue::Boolean(true)).unwrap(),
        TypedParam::new("name", TypedValue::String("vm1".into())).unwrap(),
    ];
    let (p, n) = params_to_c(&params).unwrap();
    assert_eq!(n, 7);
    // SAFETY: the array just built.
    unsafe {
        assert_eq!(params_from_c(p, n, VIR_FROM_DOMAIN).unwrap(), params);
        let mut ul = 0;
        assert_eq!(virTypedParamsGetULLong(p, n, c("cpu.time").as_ptr(), &mut ul), 1);
        assert_eq!(ul, 123);
        virTypedParamsFree(p, n);
    }
    assert_eq!(params_to_c(&[]).unwrap(), (ptr::null_mut(), 0));
    assert_eq!(params[1].param_type(), ParamType::Int);

    // A name too long for C is refused (and nothing leaks).
    let bad = vec![
        params[6].clone(),
        TypedParam {
            name: "x".repeat(80),
            value: TypedValue::Int(1),
        },
    ];
    assert_eq!(params_to_c(&bad).unwrap_err().code, VIR_ERR_INTERNAL_ERROR);

    // Filling a caller's array stops at its room.
    let mut dst: Vec<virTypedParameter> = Vec::with_capacity(3);
    // SAFETY: dst has capacity for 3 elements; fill_params writes 3.
    unsafe {
        let written = fill_params(dst.as_mut_ptr(), 3, &params).unwrap();
        assert_eq!(written, 3);
        dst.set_len(3);
        assert_eq!(
            params_from_c(dst.as_ptr(), 3, VIR_FROM_NONE).unwrap(),
            params[..3]
        );
        virTypedParamsClear(dst.as_mut_ptr(), 3);
        assert_eq!(fill_params(ptr::null_mut(), 0, &params).unwrap(), 0);
    }
}

#[test]
fn malformed_c_arrays_are_refused() {
    quiet();
    let mut l = List::new();
    l.int("i", 1);
    l.string("s", Some("x"));
    let (p, n) = (l.p, l.n);
    // SAFETY: our array, altered field by field.
    unsafe {
        let check = move |from: i32, want: &str| {
            let e = params_from_c(p, n, from).unwrap_err();
            assert_eq!(e.domain, from);
            assert_eq!(e.message, want);
        };
        (*p).r#type = 42;
        check(VIR_FROM_DOMAIN, "internal error: unexpected type 42 for field i");
        (*p).r#type = VIR_TYPED_PARAM_INT;
        let s = (*p.add(1)).value.s;
        (*p.add(1)).value.s = ptr::null_mut();
        check(VIR_FROM_NETWORK, "invalid argument: NULL value for field 's'");
        (*p.add(1)).value.s = s;
        *s = 0xff_u8 as c_char;
        check(
            VIR_FROM_NONE,
            "invalid argument: Value of field 's' is not valid UTF-8",
        );
        (*p).field = [b'n' as c_char; VIR_TYPED_PARAM_FIELD_LENGTH];
        assert!(params_from_c(p, n, VIR_FROM_NONE)
            .unwrap_err()
            .message
            .ends_with("' too long"));
        (*p).field[0] = 0;
        assert_eq!(
            params_from_c(ptr::null(), 2, VIR_FROM_NONE).unwrap_err().code,
            VIR_ERR_INVALID_ARG
        );
        assert_eq!(
            params_from_c(p, -1, VIR_FROM_NONE).unwrap_err().code,
            VIR_ERR_INVALID_ARG
        );
        assert_eq!(params_from_c(ptr::null(), 0, VIR_FROM_NONE).unwrap(), []);
    }
}

#[test]
fn domain_structs_build_and_free() {
    quiet();
    // SAFETY: each struct is built by our helpers and freed once.
    unsafe {
        let fs = new_fs_info("/", "sda1", "ext4", &["vda", "vdb"]).unwrap();
        assert_eq!(CStr::from_ptr(*(*fs).devAlias.add(1)).to_str(), Ok("vdb"));
        assert_eq!((*fs).ndevAlias, 2);
        virDomainFSInfoFree(fs);
        virDomainFSInfoFree(new_fs_info("/", "", "", &[]).unwrap());

        let io = new_iothread_info(3, &[0xff, 0x01]).unwrap();
        assert_eq!(
            ((*io).iothread_id, (*io).cpumaplen, *(*io).cpumap.add(1)),
            (3, 2, 1)
        );
        virDomainIOThreadInfoFree(io);

        let ifc = new_interface(
            "eth0",
            None,
            &[
                (VIR_IP_ADDR_TYPE_IPV4, "192.168.1.2", 24),
                (VIR_IP_ADDR_TYPE_IPV6, "fe80::1", 64),
            ],
        )
        .unwrap();
        assert!((*ifc).hwaddr.is_null());
        assert_eq!((*ifc).naddrs, 2);
        assert_eq!(
            CStr::from_ptr((*(*ifc).addrs.add(1)).addr).to_str(),
            Ok("fe80::1")
        );
        virDomainInterfaceFree(ifc);

        let lease = new_dhcp_lease(&Lease {
            iface: "virbr0",
            expirytime: 1700000000,
            r#type: VIR_IP_ADDR_TYPE_IPV4,
            mac: Some("52:54:00:00:00:01"),
            ipaddr: "192.168.122.2",
            prefix: 24,
            hostname: Some("guest"),
            ..Lease::default()
        })
        .unwrap();
        assert!((*lease).clientid.is_null());
        assert_eq!(CStr::from_ptr((*lease).hostname).to_str(), Ok("guest"));
        virNetworkDHCPLeaseFree(lease);

        virDomainFSInfoFree(ptr::null_mut());
        virDomainIOThreadInfoFree(ptr::null_mut());
        virDomainInterfaceFree(ptr::null_mut());
        virDomainStatsRecordListFree(ptr::null_mut());
        virNetworkDHCPLeaseFree(ptr::null_mut());
    }
    assert!(last_error().is_none());
}

#[test]
fn stats_records_release_their_domains() {
    quiet();
    let params = vec![TypedParam::new("state.state", TypedValue::Int(1)).unwrap()];
    extern "C" {
        fn virConnectOpen(name: *const c_char) -> *mut c_void;
        fn virConnectClose(conn: *mut c_void) -> c_int;
    }
    // SAFETY: lists built by our helper, freed once; real handles, each
    // record owning one reference.
    unsafe {
        let conn = virConnectOpen(c"test:///default".as_ptr());
        let a = virDomainLookupByName(conn.cast(), c"test".as_ptr());
        let b = virDomainLookupByName(conn.cast(), c"test".as_ptr());
        assert!(!a.is_null() && !b.is_null());
        let list = new_stats_record_list(&[(a, params.clone()), (b, vec![])]).unwrap();
        assert_eq!((**list).nparams, 1);
        assert!((*list.add(1)).as_ref().unwrap().params.is_null());
        assert!((*list.add(2)).is_null());
        raise_some_error();
        virDomainStatsRecordListFree(list);
        assert!(
            last_error().is_none(),
            "releasing a domain resets the error, as virDomainFree does"
        );
        // The records held the last references to the handles.
        assert_eq!(virDomainFree(a), -1);
        assert_eq!(virConnectClose(conn), 0);

        // Records without a domain: libvirt reports virDomainFree's error for each.
        let before = reported();
        let list =
            new_stats_record_list(&[(ptr::null_mut(), params.clone()), (ptr::null_mut(), vec![])]).unwrap();
        virDomainStatsRecordListFree(list);
        assert_eq!(reported(), before + 2);
        let e = last_error().unwrap();
        assert_eq!((e.code, e.domain), (VIR_ERR_INVALID_DOMAIN, VIR_FROM_DOM));
        assert_eq!(e.message, "invalid domain pointer in virDomainFree");

        let empty = new_stats_record_list(&[]).unwrap();
        assert!((*empty).is_null());
        virDomainStatsRecordListFree(empty);
    }
}
