//! `libvirt-common.h`: typed parameter arrays, plus the conversions between
//! them and [`TypedParam`] lists and the C-allocation helpers that the other
//! export modules use to hand results to callers.
//!
//! Everything given to C is `malloc`ed: callers release it with `free()`,
//! `virTypedParamsFree` or the matching libvirt free function.
#![allow(non_snake_case)]

use std::ffi::{CStr, CString};
use std::mem::size_of;
use std::ptr;

use once_cell::sync::Lazy;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, guarded};
use crate::ffi::cstr::{free_c, malloc_copy, malloc_str};
use crate::typed_params::{self, ParamType, TypedParam, TypedValue, MAX_NAME_LEN};

/// libvirt raises every typed-parameter error without an error domain.
const FROM: i32 = VIR_FROM_NONE;

// ---------------------------------------------------------------------------
// C allocation helpers

/// libvirt's error for a failed allocation.
pub fn no_memory() -> Error {
    Error::new(FROM, VIR_ERR_NO_MEMORY, None)
}

/// A `malloc`ed copy of `s` (cut at an interior NUL), or the out-of-memory error.
pub fn alloc_str(s: &str) -> Result<*mut c_char> {
    let p = malloc_str(s);
    if p.is_null() {
        Err(no_memory())
    } else {
        Ok(p)
    }
}

/// [`alloc_str`] for an optional string: `None` stays NULL.
pub fn alloc_opt_str(s: Option<&str>) -> Result<*mut c_char> {
    s.map_or(Ok(ptr::null_mut()), alloc_str)
}

/// A zero-filled `calloc`ed array of `n` elements of `T`, NULL when `n` is 0
/// (as glib's allocators give for empty arrays, and free() accepts).
///
/// `T` must be a libvirt struct, integer or pointer: all-zero is a valid value.
pub fn alloc_zeroed<T>(n: usize) -> Result<*mut T> {
    if n == 0 || size_of::<T>() == 0 {
        return Ok(ptr::null_mut());
    }
    // SAFETY: calloc checks n * size for overflow itself.
    let p = unsafe { libc::calloc(n, size_of::<T>()) };
    if p.is_null() {
        Err(no_memory())
    } else {
        Ok(p.cast())
    }
}

/// A `malloc`ed copy of `items` (NULL when empty).
pub fn alloc_array<T: Copy>(items: &[T]) -> Result<*mut T> {
    let p = alloc_zeroed::<T>(items.len())?;
    if !p.is_null() {
        // SAFETY: p has room for exactly items.len() elements and cannot overlap items.
        unsafe { ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
    }
    Ok(p)
}

/// A `malloc`ed array of pointers, with a NULL after the last one when
/// `null_terminated` (so never NULL itself in that case).
pub fn alloc_ptr_array<T>(items: &[*mut T], null_terminated: bool) -> Result<*mut *mut T> {
    let n = items.len() + usize::from(null_terminated);
    let p = alloc_zeroed::<*mut T>(n)?;
    if !p.is_null() {
        // SAFETY: p has room for n >= items.len() pointers, zeroed (NULL) beyond them.
        unsafe { ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
    }
    Ok(p)
}

// ---------------------------------------------------------------------------
// One parameter slot

/// A value ready to be stored in a slot; a string is already `malloc`ed and
/// its ownership passes to the slot.
enum CValue {
    Int(c_int),
    UInt(c_uint),
    LLong(c_longlong),
    ULLong(c_ulonglong),
    Double(c_double),
    Boolean(bool),
    Str(*mut c_char),
}

impl CValue {
    /// The C form of a safe value (allocating its string).
    fn of(v: &TypedValue) -> Result<CValue> {
        Ok(match v {
            TypedValue::Int(x) => CValue::Int(*x),
            TypedValue::UInt(x) => CValue::UInt(*x),
            TypedValue::LLong(x) => CValue::LLong(*x),
            TypedValue::ULLong(x) => CValue::ULLong(*x),
            TypedValue::Double(x) => CValue::Double(*x),
            TypedValue::Boolean(x) => CValue::Boolean(*x),
            TypedValue::String(s) => CValue::Str(alloc_str(s)?),
        })
    }
}

/// Writes a complete parameter into `slot`; `name` must fit (checked by the caller).
fn write_slot(slot: &mut virTypedParameter, name: &[u8], value: CValue) {
    slot.field = [0; VIR_TYPED_PARAM_FIELD_LENGTH];
    for (d, &b) in slot.field.iter_mut().zip(name.iter().take(MAX_NAME_LEN)) {
        *d = b as c_char;
    }
    let (ty, value) = match value {
        CValue::Int(i) => (VIR_TYPED_PARAM_INT, _virTypedParameterValue { i }),
        CValue::UInt(ui) => (VIR_TYPED_PARAM_UINT, _virTypedParameterValue { ui }),
        CValue::LLong(l) => (VIR_TYPED_PARAM_LLONG, _virTypedParameterValue { l }),
        CValue::ULLong(ul) => (VIR_TYPED_PARAM_ULLONG, _virTypedParameterValue { ul }),
        CValue::Double(d) => (VIR_TYPED_PARAM_DOUBLE, _virTypedParameterValue { d }),
        CValue::Boolean(b) => (
            VIR_TYPED_PARAM_BOOLEAN,
            _virTypedParameterValue { b: c_char::from(b) },
        ),
        CValue::Str(s) => (VIR_TYPED_PARAM_STRING, _virTypedParameterValue { s }),
    };
    slot.r#type = ty;
    slot.value = value;
}

/// The field name of a slot: up to its NUL, or all of it when a caller's
/// struct has none (never reading past the field).
fn slot_name(slot: &virTypedParameter) -> &[u8] {
    // SAFETY: c_char and u8 have the same size and alignment; the slice stays
    // within the field array borrowed from `slot`.
    let bytes: &[u8] = unsafe { std::slice::from_raw_parts(slot.field.as_ptr().cast(), slot.field.len()) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// Frees the string a slot owns, leaving a NULL in its place (type kept, as
/// libvirt keeps it).
fn clear_slot(slot: &mut virTypedParameter) {
    if slot.r#type == VIR_TYPED_PARAM_STRING {
        // SAFETY: the type says the union holds `s`, a malloc'ed string or NULL.
        unsafe {
            free_c(slot.value.s);
            slot.value.s = ptr::null_mut();
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// libvirt's complaint about a negative count ("nparams in FUNC must be zero or greater").
fn negative(func: &str, arg: &str) -> Error {
    Error::arg_check(
        FROM,
        format!("{arg} in {func} must be zero or greater"),
        func,
        arg,
    )
}

// ---------------------------------------------------------------------------
// A caller's growable array (the virTypedParamsAdd* family)

/// The capacity libvirt grows an array of capacity `alloc` holding `count`
/// elements to, so that `add` more fit: exactly enough, but at least half
/// again as many as before (so 0, 1, 2, 3, 4, 6, 9, 13, ...).
fn grown_capacity(count: usize, alloc: usize, add: usize) -> usize {
    let need = count + add;
    if need <= alloc {
        return alloc;
    }
    alloc + (need - alloc).max(alloc / 2)
}

/// Makes room for one more parameter as libvirt does (updating `*params` and
/// `*maxparams`) and returns the index of the slot to fill.  The arguments
/// libvirt dereferences without checking are checked here instead.
///
/// # Safety
/// Non-NULL pointers must be valid; `*params` must be NULL or a `malloc`ed
/// array of `*maxparams` elements.
unsafe fn reserve(
    func: &str,
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
) -> Result<usize> {
    for (p, arg) in [
        (params.is_null(), "params"),
        (nparams.is_null(), "nparams"),
        (maxparams.is_null(), "maxparams"),
    ] {
        if p {
            return Err(Error::null_arg(FROM, func, arg));
        }
    }
    // SAFETY: both checked non-NULL; the caller vouches for their validity.
    let (n, max) = unsafe { (*nparams, *maxparams) };
    let n = usize::try_from(n).map_err(|_| negative(func, "nparams"))?;
    let max = usize::try_from(max).map_err(|_| negative(func, "maxparams"))?;
    let new = grown_capacity(n, max, 1);
    if new != max {
        let bytes = new
            .checked_mul(size_of::<virTypedParameter>())
            .ok_or_else(no_memory)?;
        let new_c = c_int::try_from(new).map_err(|_| no_memory())?;
        // SAFETY: *params is NULL or malloc'ed (caller's guarantee); on failure
        // realloc leaves it untouched, and we leave *params as it was.
        let grown: virTypedParameterPtr = unsafe { libc::realloc((*params).cast(), bytes) }.cast();
        if grown.is_null() {
            return Err(no_memory());
        }
        // SAFETY: the new array has `new` elements; zero those past the old capacity.
        unsafe {
            ptr::write_bytes(grown.add(max), 0, new - max);
            *params = grown;
            *maxparams = new_c;
        }
    }
    Ok(n)
}

/// The `name` argument of an Add function, refused as libvirt refuses it
/// when storing (after the array has grown).  libvirt copies a NULL name as
/// nothing after a GLib warning; we refuse it.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
unsafe fn field_name<'a>(func: &str, name: *const c_char) -> Result<&'a [u8]> {
    if name.is_null() {
        return Err(Error::null_arg(FROM, func, "name"));
    }
    // SAFETY: non-NULL and NUL-terminated (caller's guarantee).
    let bytes = unsafe { CStr::from_ptr(name) }.to_bytes();
    if bytes.len() > MAX_NAME_LEN {
        return Err(typed_params::name_too_long(&lossy(bytes)));
    }
    Ok(bytes)
}

/// Stores the parameter in the slot [`reserve`] gave and counts it.
///
/// # Safety
/// `index` must come from [`reserve`] on the same, unchanged arguments.
unsafe fn commit(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    index: usize,
    name: &[u8],
    value: CValue,
) {
    // SAFETY: reserve made *params hold more than `index` elements and checked
    // that index + 1 fits a c_int (the capacity does).
    unsafe {
        write_slot(&mut *(*params).add(index), name, value);
        *nparams = (index + 1) as c_int;
    }
}

/// The body of the Add functions of a fixed type.
///
/// # Safety
/// As for [`reserve`] and [`field_name`].
unsafe fn add(
    func: &str,
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: impl FnOnce() -> Result<CValue>,
) -> Result<c_int> {
    // SAFETY: the caller's guarantees are passed on unchanged.
    unsafe {
        let index = reserve(func, params, nparams, maxparams)?;
        let name = field_name(func, name)?;
        let value = value()?;
        commit(params, nparams, index, name, value);
    }
    Ok(0)
}

/// Adds an `int` parameter.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddInt`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddInt(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_int,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add("virTypedParamsAddInt", params, nparams, maxparams, name, || {
            Ok(CValue::Int(value))
        })
    })
}

/// Adds an `unsigned int` parameter.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddUInt`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddUInt(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_uint,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add("virTypedParamsAddUInt", params, nparams, maxparams, name, || {
            Ok(CValue::UInt(value))
        })
    })
}

/// Adds a `long long` parameter.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddLLong`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddLLong(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_longlong,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add("virTypedParamsAddLLong", params, nparams, maxparams, name, || {
            Ok(CValue::LLong(value))
        })
    })
}

/// Adds an `unsigned long long` parameter.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddULLong`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddULLong(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_ulonglong,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add(
            "virTypedParamsAddULLong",
            params,
            nparams,
            maxparams,
            name,
            || Ok(CValue::ULLong(value)),
        )
    })
}

/// Adds a `double` parameter.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddDouble`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddDouble(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_double,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add(
            "virTypedParamsAddDouble",
            params,
            nparams,
            maxparams,
            name,
            || Ok(CValue::Double(value)),
        )
    })
}

/// Adds a boolean parameter (any non-zero `value` is stored as 1).
///
/// # Safety
/// C callers' contract of `virTypedParamsAddBoolean`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddBoolean(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: c_int,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add`.
    entry(|_| unsafe {
        add(
            "virTypedParamsAddBoolean",
            params,
            nparams,
            maxparams,
            name,
            || Ok(CValue::Boolean(value != 0)),
        )
    })
}

/// A `malloc`ed copy of a C string argument; NULL becomes "" as in libvirt.
///
/// # Safety
/// `value` must be NULL or NUL-terminated.
unsafe fn copy_value(value: *const c_char) -> Result<CValue> {
    let copy = if value.is_null() {
        malloc_str("")
    } else {
        // SAFETY: non-NULL and NUL-terminated (caller's guarantee).
        malloc_copy(unsafe { CStr::from_ptr(value) })
    };
    if copy.is_null() {
        Err(no_memory())
    } else {
        Ok(CValue::Str(copy))
    }
}

/// Adds a string parameter holding a copy of `value` (NULL is stored as "").
///
/// # Safety
/// C callers' contract of `virTypedParamsAddString`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddString(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    value: *const c_char,
) -> c_int {
    // SAFETY: the C caller's pointers, checked by `add` and `copy_value`.
    entry(|_| unsafe {
        add(
            "virTypedParamsAddString",
            params,
            nparams,
            maxparams,
            name,
            || copy_value(value),
        )
    })
}

/// Adds one string parameter called `name` per entry of the NULL-terminated
/// `values`.  As libvirt: it does not reset the last error itself (each
/// string added does), a NULL list adds nothing and returns 0, an empty list
/// returns -1 without an error, and the first failure stops the loop.
///
/// # Safety
/// C callers' contract of `virTypedParamsAddStringList`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddStringList(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    values: *mut *const c_char,
) -> c_int {
    guarded(-1, || {
        if values.is_null() {
            return 0;
        }
        let mut rc = -1;
        for i in 0.. {
            // SAFETY: `values` is a NULL-terminated array (caller's contract);
            // we stop at its NULL.
            let value = unsafe { *values.add(i) };
            if value.is_null() {
                break;
            }
            // SAFETY: the C caller's pointers, checked by `add`.
            rc = entry(|_| unsafe {
                add(
                    "virTypedParamsAddStringList",
                    params,
                    nparams,
                    maxparams,
                    name,
                    || copy_value(value),
                )
            });
            if rc < 0 {
                break;
            }
        }
        rc
    })
}

/// The C library's `strtod` in the C locale, as libvirt calls it: the whole
/// text must be read, and a range error (overflow, subnormal) is refused.
fn c_strtod(text: &[u8]) -> Option<f64> {
    // A process-wide C locale object, made once; libvirt switches to one too.
    static C_LOCALE: Lazy<usize> = Lazy::new(|| {
        // SAFETY: newlocale with a valid NUL-terminated name and no base.
        unsafe { libc::newlocale(libc::LC_ALL_MASK, c"C".as_ptr(), ptr::null_mut()) as usize }
    });
    let text = CString::new(text).ok()?;
    let locale = *C_LOCALE as libc::locale_t;
    let mut end: *mut c_char = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated and outlives the call; uselocale only
    // changes this thread's locale and is restored before returning; errno is
    // this thread's.
    let (value, errno) = unsafe {
        let previous = (!locale.is_null()).then(|| libc::uselocale(locale));
        *libc::__errno_location() = 0;
        let value = libc::strtod(text.as_ptr(), &mut end);
        let errno = *libc::__errno_location();
        if let Some(previous) = previous {
            libc::uselocale(previous);
        }
        (value, errno)
    };
    // SAFETY: strtod leaves `end` inside `text` (at most on its NUL).
    let consumed_all = end != text.as_ptr().cast_mut() && unsafe { *end } == 0;
    (errno == 0 && consumed_all).then_some(value)
}

/// Adds a parameter of type `type_` whose value is given as text, parsed as
/// libvirt parses it (see [`typed_params::parse_value`]).
///
/// # Safety
/// C callers' contract of `virTypedParamsAddFromString`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsAddFromString(
    params: *mut virTypedParameterPtr,
    nparams: *mut c_int,
    maxparams: *mut c_int,
    name: *const c_char,
    type_: c_int,
    value: *const c_char,
) -> c_int {
    let func = "virTypedParamsAddFromString";
    // SAFETY: the C caller's pointers, each checked before use.
    entry(|_| unsafe {
        let index = reserve(func, params, nparams, maxparams)?;
        // libvirt checks the value before the name, printing a NULL name as glib does.
        if value.is_null() {
            let shown = if name.is_null() {
                "(null)".to_string()
            } else {
                lossy(CStr::from_ptr(name).to_bytes())
            };
            return Err(Error::invalid_arg(
                FROM,
                format!("NULL value for field '{shown}'"),
            ));
        }
        let field = field_name(func, name)?;
        let shown = lossy(field);
        let ty = ParamType::from_code(type_).ok_or_else(|| typed_params::unexpected_type(type_, &shown))?;
        let text = CStr::from_ptr(value);
        let value = match ty {
            // Byte for byte: the text need not be UTF-8.
            ParamType::String => copy_value(value)?,
            _ => CValue::of(&typed_params::parse_value(ty, &shown, text.to_bytes(), c_strtod)?)?,
        };
        commit(params, nparams, index, field, value);
        Ok(0)
    })
}

// ---------------------------------------------------------------------------
// Lookups

/// The index of the first parameter called `name`, as `virTypedParamsGet`
/// finds it; no match for NULL arguments or a negative count.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements; `name` NULL or NUL-terminated.
unsafe fn lookup(params: *const virTypedParameter, nparams: c_int, name: *const c_char) -> Option<usize> {
    if params.is_null() || name.is_null() {
        return None;
    }
    let n = usize::try_from(nparams).ok()?;
    // SAFETY: non-NULL, NUL-terminated, and `params` holds n elements (caller's guarantee).
    let (name, slots) = unsafe {
        (
            CStr::from_ptr(name).to_bytes(),
            std::slice::from_raw_parts(params, n),
        )
    };
    slots.iter().position(|slot| slot_name(slot) == name)
}

/// Returns a pointer to the first parameter called `name`, or NULL.  Like
/// libvirt's it reports nothing and leaves the last error alone; a negative
/// count (which libvirt would read past the array with) finds nothing.
///
/// # Safety
/// C callers' contract of `virTypedParamsGet`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGet(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
) -> virTypedParameterPtr {
    guarded(ptr::null_mut(), || {
        // SAFETY: the C caller's array and name; the index is within the array.
        unsafe { lookup(params, nparams, name).map_or(ptr::null_mut(), |i| params.add(i)) }
    })
}

/// The body of the typed getters: 0 when absent, 1 with the value written
/// through `out` (unless NULL, as libvirt allows), libvirt's error for
/// another type.  A negative count is refused rather than overrun.
///
/// # Safety
/// As for [`lookup`]; `out` must be NULL or writable.
unsafe fn get<T>(
    func: &str,
    params: *const virTypedParameter,
    nparams: c_int,
    name: *const c_char,
    want: ParamType,
    out: *mut T,
    read: impl FnOnce(&_virTypedParameterValue) -> T,
) -> Result<c_int> {
    if params.is_null() || name.is_null() {
        return Ok(0);
    }
    if nparams < 0 {
        return Err(negative(func, "nparams"));
    }
    // SAFETY: the caller's guarantees.
    let Some(index) = (unsafe { lookup(params, nparams, name) }) else {
        return Ok(0);
    };
    // SAFETY: an index within the caller's array.
    let slot = unsafe { &*params.add(index) };
    if slot.r#type != want.code() {
        let shown = lossy(slot_name(slot));
        return Err(typed_params::type_mismatch(want, &shown, slot.r#type));
    }
    if !out.is_null() {
        // SAFETY: non-NULL and writable (caller's guarantee).
        unsafe { out.write(read(&slot.value)) };
    }
    Ok(1)
}

/// Reads the `int` parameter `name`.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetInt`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetInt(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_int,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetInt",
            params,
            nparams,
            name,
            ParamType::Int,
            value,
            |v| v.i,
        )
    })
}

/// Reads the `unsigned int` parameter `name`.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetUInt`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetUInt(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_uint,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetUInt",
            params,
            nparams,
            name,
            ParamType::UInt,
            value,
            |v| v.ui,
        )
    })
}

/// Reads the `long long` parameter `name`.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetLLong`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetLLong(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_longlong,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetLLong",
            params,
            nparams,
            name,
            ParamType::LLong,
            value,
            |v| v.l,
        )
    })
}

/// Reads the `unsigned long long` parameter `name`.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetULLong`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetULLong(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_ulonglong,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetULLong",
            params,
            nparams,
            name,
            ParamType::ULLong,
            value,
            |v| v.ul,
        )
    })
}

/// Reads the `double` parameter `name`.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetDouble`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetDouble(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_double,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetDouble",
            params,
            nparams,
            name,
            ParamType::Double,
            value,
            |v| v.d,
        )
    })
}

/// Reads the boolean parameter `name` as 0 or 1.
///
/// # Safety
/// C callers' contract of `virTypedParamsGetBoolean`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetBoolean(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut c_int,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetBoolean",
            params,
            nparams,
            name,
            ParamType::Boolean,
            value,
            |v| c_int::from(v.b != 0),
        )
    })
}

/// Points `*value` at the string of parameter `name` (not a copy).
///
/// # Safety
/// C callers' contract of `virTypedParamsGetString`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsGetString(
    params: virTypedParameterPtr,
    nparams: c_int,
    name: *const c_char,
    value: *mut *const c_char,
) -> c_int {
    // SAFETY: the C caller's array, name and out-pointer; the union member is
    // read only after the type was checked.
    entry(|_| unsafe {
        get(
            "virTypedParamsGetString",
            params,
            nparams,
            name,
            ParamType::String,
            value,
            |v| v.s.cast_const(),
        )
    })
}

// ---------------------------------------------------------------------------
// Releasing

/// Frees the strings of `nparams` parameters, keeping the array.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements whose strings are `malloc`ed.
unsafe fn clear(params: virTypedParameterPtr, nparams: usize) {
    if params.is_null() {
        return;
    }
    // SAFETY: the caller's guarantee.
    for slot in unsafe { std::slice::from_raw_parts_mut(params, nparams) } {
        clear_slot(slot);
    }
}

/// Frees the strings the parameters hold, leaving their slots (and types) in
/// place; the last error is left alone, as libvirt does.  A negative count
/// with an array, on which libvirt crashes, is refused with an error.
///
/// # Safety
/// C callers' contract of `virTypedParamsClear`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsClear(params: virTypedParameterPtr, nparams: c_int) {
    match usize::try_from(nparams) {
        // SAFETY: the C caller's array of nparams elements.
        Ok(n) => guarded((), || unsafe { clear(params, n) }),
        Err(_) if params.is_null() => {}
        Err(_) => entry(|_| Err(negative("virTypedParamsClear", "nparams"))),
    }
}

/// Frees the strings and then the array itself; the last error is left
/// alone.  A negative count with an array is refused with an error and
/// nothing is freed.
///
/// # Safety
/// C callers' contract of `virTypedParamsFree`.
#[no_mangle]
pub unsafe extern "C" fn virTypedParamsFree(params: virTypedParameterPtr, nparams: c_int) {
    match usize::try_from(nparams) {
        // SAFETY: the C caller's malloc'ed array of nparams elements.
        Ok(n) => guarded((), || unsafe {
            clear(params, n);
            libc::free(params.cast());
        }),
        Err(_) if params.is_null() => {}
        Err(_) => entry(|_| Err(negative("virTypedParamsFree", "nparams"))),
    }
}

// ---------------------------------------------------------------------------
// Conversions for the rest of the library

/// A new `malloc`ed array holding `params`, strings `malloc`ed too: what APIs
/// returning a `virTypedParameterPtr` hand over (the caller frees it with
/// `virTypedParamsFree`).  NULL with a count of 0 for an empty list.
pub fn params_to_c(params: &[TypedParam]) -> Result<(virTypedParameterPtr, c_int)> {
    let n = c_int::try_from(params.len()).map_err(|_| no_memory())?;
    let array = alloc_zeroed::<virTypedParameter>(params.len())?;
    // SAFETY: `array` holds params.len() zeroed elements (NULL when empty).
    if let Err(e) = unsafe { fill(array, params) } {
        // SAFETY: zeroed slots own nothing; filled ones own malloc'ed strings.
        unsafe { virTypedParamsFree(array, n) };
        return Err(e);
    }
    Ok((array, n))
}

/// Writes `params` into the first elements of a caller-provided array, as the
/// APIs that fill a caller's `params` of room `*nparams` do: at most `room`
/// of them; returns how many were written.  Strings are `malloc`ed (callers
/// release them with `virTypedParamsClear`).  On error nothing is left owned.
///
/// # Safety
/// `dst` must be valid for writing `room` elements (or `room` must be 0).
pub unsafe fn fill_params(dst: virTypedParameterPtr, room: usize, params: &[TypedParam]) -> Result<c_int> {
    let n = room.min(params.len());
    if n == 0 {
        return Ok(0);
    }
    // SAFETY: the caller's guarantee covers n <= room elements; zero them so
    // that a failure part-way leaves nothing to free twice.
    unsafe {
        ptr::write_bytes(dst, 0, n);
        if let Err(e) = fill(dst, &params[..n]) {
            clear(dst, n);
            return Err(e);
        }
    }
    Ok(n as c_int)
}

/// Writes every parameter into zeroed slots.
///
/// # Safety
/// `dst` must hold `params.len()` zeroed, writable elements.
unsafe fn fill(dst: virTypedParameterPtr, params: &[TypedParam]) -> Result<()> {
    for (i, p) in params.iter().enumerate() {
        typed_params::check_name(p.name.as_bytes())?;
        let value = CValue::of(&p.value)?;
        // SAFETY: i < params.len() (caller's guarantee on dst).
        write_slot(unsafe { &mut *dst.add(i) }, p.name.as_bytes(), value);
    }
    Ok(())
}

/// Reads a caller's array into owned parameters, as drivers take them; `from`
/// is the error domain of the calling API.  Refused: a negative count, a NULL
/// array with entries, names or strings that are not UTF-8, names without a
/// NUL in the field, NULL strings and types outside the enumeration.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements with NUL-terminated strings.
pub unsafe fn params_from_c(
    params: *const virTypedParameter,
    nparams: c_int,
    from: i32,
) -> Result<Vec<TypedParam>> {
    let in_domain = |mut e: Error| {
        e.domain = from;
        e
    };
    let n = usize::try_from(nparams)
        .map_err(|_| in_domain(Error::invalid_arg(FROM, "nparams must be zero or greater")))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if params.is_null() {
        return Err(in_domain(Error::invalid_arg(FROM, "params must not be NULL")));
    }
    // SAFETY: non-NULL with n elements (caller's guarantee).
    let slots = unsafe { std::slice::from_raw_parts(params, n) };
    let utf8 = |bytes: &[u8], what: &str| {
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| in_domain(Error::invalid_arg(FROM, format!("{what} is not valid UTF-8"))))
    };
    slots
        .iter()
        .map(|slot| {
            let raw = slot_name(slot);
            if raw.len() > MAX_NAME_LEN {
                return Err(in_domain(typed_params::name_too_long(&lossy(raw))));
            }
            let name = utf8(raw, &format!("Field name '{}'", lossy(raw)))?;
            let ty = ParamType::from_code(slot.r#type)
                .ok_or_else(|| in_domain(typed_params::unexpected_type(slot.r#type, &name)))?;
            // SAFETY: each arm reads the union member its type names.
            let value = unsafe {
                match ty {
                    ParamType::Int => TypedValue::Int(slot.value.i),
                    ParamType::UInt => TypedValue::UInt(slot.value.ui),
                    ParamType::LLong => TypedValue::LLong(slot.value.l),
                    ParamType::ULLong => TypedValue::ULLong(slot.value.ul),
                    ParamType::Double => TypedValue::Double(slot.value.d),
                    ParamType::Boolean => TypedValue::Boolean(slot.value.b != 0),
                    ParamType::String => {
                        if slot.value.s.is_null() {
                            return Err(in_domain(Error::invalid_arg(
                                FROM,
                                format!("NULL value for field '{name}'"),
                            )));
                        }
                        let s = CStr::from_ptr(slot.value.s).to_bytes();
                        TypedValue::String(utf8(s, &format!("Value of field '{name}'"))?)
                    }
                }
            };
            Ok(TypedParam { name, value })
        })
        .collect()
}

/// libvirt's checks on a caller's output array `array` and its size `size`
/// (`names`/`maxnames`, `ids`/`maxids`), in error domain `from`.
pub fn list_room(from: i32, null: bool, max: c_int, func: &str, array: &str, size: &str) -> Result<usize> {
    if max < 0 {
        return Err(Error::arg_check(
            from,
            format!("{size} in {func} must be zero or greater"),
            func,
            size,
        ));
    }
    if null && max > 0 {
        return Err(Error::null_arg(from, func, array));
    }
    Ok(max as usize)
}

/// Copies at most `room` names into the caller's array; returns how many.
///
/// # Safety
/// `names` must have room for `room` pointers.
pub unsafe fn put_names(names: *mut *mut c_char, room: usize, found: &[String]) -> Result<c_int> {
    let n = found.len().min(room);
    let copies = found[..n]
        .iter()
        .map(|s| alloc_str(s))
        .collect::<Result<Vec<_>>>()?;
    // SAFETY: room for `room` >= n pointers by the caller's contract.
    unsafe { ptr::copy_nonoverlapping(copies.as_ptr(), names, n) };
    Ok(n as c_int)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_matches_libvirt() {
        let mut alloc = 0;
        let mut seen = vec![];
        for n in 0..12 {
            alloc = grown_capacity(n, alloc, 1);
            seen.push(alloc);
        }
        assert_eq!(seen, [1, 2, 3, 4, 6, 6, 9, 9, 9, 13, 13, 13]);
        assert_eq!(grown_capacity(5, 5, 1), 7);
        assert_eq!(grown_capacity(3, 0, 1), 4);
        assert_eq!(grown_capacity(1, 5, 1), 5);
    }

    #[test]
    fn strtod_is_c_locale_and_refuses_range_errors() {
        assert_eq!(c_strtod(b"0x1p3"), Some(8.0));
        assert_eq!(c_strtod(b" 1.5"), Some(1.5));
        assert!(c_strtod(b"nan(123)").is_some_and(f64::is_nan));
        for bad in [&b"1e309"[..], b"1e-310", b"1 ", b"", b"1,5", b"infinit"] {
            assert_eq!(c_strtod(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
