//! Typed parameters: libvirt's named, typed values (`virTypedParameter`) as
//! plain Rust data.
//!
//! Drivers build and read [`TypedParam`] lists; `crate::ffi::common` converts
//! them to and from the C arrays callers see.  The checks and error texts here
//! are libvirt's, so a failure reads the same whichever side raises it.

use crate::abi::{
    VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG, VIR_FROM_NONE,
    VIR_TYPED_PARAM_BOOLEAN, VIR_TYPED_PARAM_DOUBLE, VIR_TYPED_PARAM_FIELD_LENGTH, VIR_TYPED_PARAM_INT,
    VIR_TYPED_PARAM_LLONG, VIR_TYPED_PARAM_STRING, VIR_TYPED_PARAM_UINT, VIR_TYPED_PARAM_ULLONG,
};
use crate::error::{Error, Result};

/// The longest field name a parameter can carry, in bytes (the C field keeps a NUL).
pub const MAX_NAME_LEN: usize = VIR_TYPED_PARAM_FIELD_LENGTH - 1;

/// The type of a typed parameter (`virTypedParameterType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `VIR_TYPED_PARAM_INT`.
    Int,
    /// `VIR_TYPED_PARAM_UINT`.
    UInt,
    /// `VIR_TYPED_PARAM_LLONG`.
    LLong,
    /// `VIR_TYPED_PARAM_ULLONG`.
    ULLong,
    /// `VIR_TYPED_PARAM_DOUBLE`.
    Double,
    /// `VIR_TYPED_PARAM_BOOLEAN`.
    Boolean,
    /// `VIR_TYPED_PARAM_STRING`.
    String,
}

impl ParamType {
    /// The type with libvirt's number `code`, if it is one.
    pub fn from_code(code: i32) -> Option<ParamType> {
        Some(match code {
            VIR_TYPED_PARAM_INT => ParamType::Int,
            VIR_TYPED_PARAM_UINT => ParamType::UInt,
            VIR_TYPED_PARAM_LLONG => ParamType::LLong,
            VIR_TYPED_PARAM_ULLONG => ParamType::ULLong,
            VIR_TYPED_PARAM_DOUBLE => ParamType::Double,
            VIR_TYPED_PARAM_BOOLEAN => ParamType::Boolean,
            VIR_TYPED_PARAM_STRING => ParamType::String,
            _ => return None,
        })
    }

    /// libvirt's number for the type.
    pub fn code(self) -> i32 {
        match self {
            ParamType::Int => VIR_TYPED_PARAM_INT,
            ParamType::UInt => VIR_TYPED_PARAM_UINT,
            ParamType::LLong => VIR_TYPED_PARAM_LLONG,
            ParamType::ULLong => VIR_TYPED_PARAM_ULLONG,
            ParamType::Double => VIR_TYPED_PARAM_DOUBLE,
            ParamType::Boolean => VIR_TYPED_PARAM_BOOLEAN,
            ParamType::String => VIR_TYPED_PARAM_STRING,
        }
    }

    /// libvirt's name for the type, as its messages print it.
    pub fn name(self) -> &'static str {
        type_name(self.code())
    }
}

/// libvirt's name for a type number as its messages print it: "unknown" for
/// 0, "(null)" outside the enumeration (libvirt passes a NULL name to printf).
pub fn type_name(code: i32) -> &'static str {
    match code {
        0 => "unknown",
        VIR_TYPED_PARAM_INT => "int",
        VIR_TYPED_PARAM_UINT => "uint",
        VIR_TYPED_PARAM_LLONG => "llong",
        VIR_TYPED_PARAM_ULLONG => "ullong",
        VIR_TYPED_PARAM_DOUBLE => "double",
        VIR_TYPED_PARAM_BOOLEAN => "boolean",
        VIR_TYPED_PARAM_STRING => "string",
        _ => "(null)",
    }
}

/// The value of a typed parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// A C `int`.
    Int(i32),
    /// A C `unsigned int`.
    UInt(u32),
    /// A C `long long`.
    LLong(i64),
    /// A C `unsigned long long`.
    ULLong(u64),
    /// A C `double`.
    Double(f64),
    /// A boolean (a C `char` holding 0 or 1).
    Boolean(bool),
    /// A string; an interior NUL ends it on the C side.
    String(String),
}

impl TypedValue {
    /// The value's type.
    pub fn param_type(&self) -> ParamType {
        match self {
            TypedValue::Int(_) => ParamType::Int,
            TypedValue::UInt(_) => ParamType::UInt,
            TypedValue::LLong(_) => ParamType::LLong,
            TypedValue::ULLong(_) => ParamType::ULLong,
            TypedValue::Double(_) => ParamType::Double,
            TypedValue::Boolean(_) => ParamType::Boolean,
            TypedValue::String(_) => ParamType::String,
        }
    }
}

/// One named, typed parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedParam {
    /// The field name: at most [`MAX_NAME_LEN`] bytes, no NUL.
    pub name: String,
    /// The value.
    pub value: TypedValue,
}

impl TypedParam {
    /// A parameter, refused as libvirt refuses a field name that does not fit.
    pub fn new(name: impl Into<String>, value: TypedValue) -> Result<TypedParam> {
        let name = name.into();
        check_name(name.as_bytes())?;
        Ok(TypedParam { name, value })
    }

    /// The value's type.
    pub fn param_type(&self) -> ParamType {
        self.value.param_type()
    }
}

/// Checks a field name as libvirt does before storing it: it must fit the C
/// field with its NUL.  A NUL inside would silently cut the name, so it is
/// refused as well.
pub fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > MAX_NAME_LEN {
        return Err(name_too_long(&String::from_utf8_lossy(name)));
    }
    if name.contains(&0) {
        return Err(Error::invalid_arg(
            VIR_FROM_NONE,
            format!(
                "Field name '{}' contains a NUL byte",
                String::from_utf8_lossy(name).replace('\0', "\\0")
            ),
        ));
    }
    Ok(())
}

/// libvirt's error for a field name longer than [`MAX_NAME_LEN`].
pub fn name_too_long(name: &str) -> Error {
    Error::with(
        VIR_FROM_NONE,
        VIR_ERR_INTERNAL_ERROR,
        format!("Field name '{name}' too long"),
    )
}

/// libvirt's error when a getter asks for another type than the parameter has.
pub fn type_mismatch(requested: ParamType, name: &str, actual: i32) -> Error {
    Error::with(
        VIR_FROM_NONE,
        VIR_ERR_INVALID_ARG,
        format!(
            "Invalid type '{}' requested for parameter '{name}', actual type is '{}'",
            requested.name(),
            type_name(actual)
        ),
    )
}

/// libvirt's error for a value string that does not parse as `ty`.
pub fn invalid_value(name: &str, ty: ParamType) -> Error {
    let detail = match ty {
        ParamType::Boolean => format!("Invalid boolean value for field '{name}'"),
        ParamType::Int => format!("Invalid value for field '{name}': expected int"),
        ParamType::UInt => format!("Invalid value for field '{name}': expected unsigned int"),
        ParamType::LLong => format!("Invalid value for field '{name}': expected long long"),
        ParamType::ULLong => format!("Invalid value for field '{name}': expected unsigned long long"),
        ParamType::Double => format!("Invalid value for field '{name}': expected double"),
        // Every string is a valid string value; kept total for callers.
        ParamType::String => format!("Invalid value for field '{name}'"),
    };
    Error::with(VIR_FROM_NONE, VIR_ERR_INVALID_ARG, detail)
}

/// libvirt's error for a type number outside the enumeration.
pub fn unexpected_type(code: i32, name: &str) -> Error {
    Error::with(
        VIR_FROM_NONE,
        VIR_ERR_INTERNAL_ERROR,
        format!("unexpected type {code} for field {name}"),
    )
}

/// Checks parameters a driver accepts (`virTypedParamsValidate`): each name
/// known, of its type, given once.  libvirt checks them sorted by name, so
/// the first offender in that order is reported.
pub fn validate(params: &[TypedParam], allowed: &[(&str, ParamType)]) -> Result<()> {
    let mut sorted: Vec<&TypedParam> = params.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for (i, p) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].name == p.name {
            return Err(Error::invalid_arg(
                VIR_FROM_NONE,
                format!("parameter '{}' occurs multiple times", p.name),
            ));
        }
        let Some((_, ty)) = allowed.iter().find(|(name, _)| *name == p.name) else {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_ARGUMENT_UNSUPPORTED,
                format!("parameter '{}' not supported", p.name),
            ));
        };
        if p.param_type() != *ty {
            return Err(Error::invalid_arg(
                VIR_FROM_NONE,
                format!(
                    "invalid type '{}' for parameter '{}', expected '{}'",
                    p.param_type().name(),
                    p.name,
                    ty.name()
                ),
            ));
        }
    }
    Ok(())
}

/// The first parameter called `name` (libvirt's lookups stop at the first).
pub fn find<'a>(params: &'a [TypedParam], name: &str) -> Option<&'a TypedParam> {
    params.iter().find(|p| p.name == name)
}

/// A Rust type a parameter value can be read as.
pub trait ParamValue<'a>: Sized {
    /// The parameter type it reads.
    const TYPE: ParamType;
    /// The value, when `v` has [`Self::TYPE`].
    fn extract(v: &'a TypedValue) -> Option<Self>;
}

macro_rules! param_value {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl<'a> ParamValue<'a> for $t {
            const TYPE: ParamType = ParamType::$variant;
            fn extract(v: &'a TypedValue) -> Option<Self> {
                match v {
                    TypedValue::$variant(x) => Some(*x),
                    _ => None,
                }
            }
        }
    )*};
}

param_value! {
    i32 => Int,
    u32 => UInt,
    i64 => LLong,
    u64 => ULLong,
    f64 => Double,
    bool => Boolean,
}

impl<'a> ParamValue<'a> for &'a str {
    const TYPE: ParamType = ParamType::String;
    fn extract(v: &'a TypedValue) -> Option<Self> {
        match v {
            TypedValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// The value of the first parameter called `name`, as `virTypedParamsGet*`
/// read it: `Ok(None)` when there is none, libvirt's type-mismatch error
/// when it has another type.
pub fn get<'a, T: ParamValue<'a>>(params: &'a [TypedParam], name: &str) -> Result<Option<T>> {
    match find(params, name) {
        None => Ok(None),
        Some(p) => T::extract(&p.value)
            .map(Some)
            .ok_or_else(|| type_mismatch(T::TYPE, name, p.param_type().code())),
    }
}

/// Parses a value given as text, as `virTypedParamsAddFromString` does;
/// `name` only goes into the error message.  Doubles go to `strtod`, which
/// must behave as the C library's `strtod` in the C locale with ERANGE
/// refused: libvirt uses exactly that (hexadecimal, "nan(...)", subnormal
/// and overflow rules included), and only the C boundary may call into C.
pub fn parse_value(
    ty: ParamType,
    name: &str,
    text: &[u8],
    strtod: impl FnOnce(&[u8]) -> Option<f64>,
) -> Result<TypedValue> {
    let bad = || invalid_value(name, ty);
    Ok(match ty {
        ParamType::Int => {
            let (neg, mag) = parse_c_integer(text).ok_or_else(bad)?;
            let v = if neg { -i128::from(mag) } else { i128::from(mag) };
            TypedValue::Int(i32::try_from(v).map_err(|_| bad())?)
        }
        ParamType::LLong => {
            let (neg, mag) = parse_c_integer(text).ok_or_else(bad)?;
            let v = if neg { -i128::from(mag) } else { i128::from(mag) };
            TypedValue::LLong(i64::try_from(v).map_err(|_| bad())?)
        }
        ParamType::UInt => {
            // As strtoul: a minus sign negates modulo 2^32; the magnitude must fit.
            let (neg, mag) = parse_c_integer(text).ok_or_else(bad)?;
            let mag = u32::try_from(mag).map_err(|_| bad())?;
            TypedValue::UInt(if neg { mag.wrapping_neg() } else { mag })
        }
        ParamType::ULLong => {
            let (neg, mag) = parse_c_integer(text).ok_or_else(bad)?;
            TypedValue::ULLong(if neg { mag.wrapping_neg() } else { mag })
        }
        ParamType::Boolean => {
            let b = if text.eq_ignore_ascii_case(b"true") || text == b"1" {
                true
            } else if text.eq_ignore_ascii_case(b"false") || text == b"0" {
                false
            } else {
                return Err(bad());
            };
            TypedValue::Boolean(b)
        }
        ParamType::String => TypedValue::String(String::from_utf8_lossy(text).into_owned()),
        ParamType::Double => TypedValue::Double(strtod(text).ok_or_else(bad)?),
    })
}

/// A whole decimal integer as C's `strtol` family reads it with base 10 and
/// no trailing text allowed: optional leading white space, an optional sign,
/// at least one digit.  Returns the sign and the magnitude; `None` when the
/// text is not such a number or the magnitude exceeds 64 bits (ERANGE).
pub fn parse_c_integer(text: &[u8]) -> Option<(bool, u64)> {
    let start = text.iter().position(|&b| !is_c_space(b)).unwrap_or(text.len());
    let mut rest = &text[start..];
    let mut neg = false;
    if let Some((&sign @ (b'+' | b'-'), tail)) = rest.split_first() {
        neg = sign == b'-';
        rest = tail;
    }
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut mag: u64 = 0;
    for &d in rest {
        mag = mag.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((neg, mag))
}

/// White space as the C locale's `isspace` sees it.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_like_strtol() {
        assert_eq!(parse_c_integer(b" \t+42"), Some((false, 42)));
        assert_eq!(parse_c_integer(b"-0"), Some((true, 0)));
        assert_eq!(parse_c_integer(b"010"), Some((false, 10)));
        for bad in [
            &b""[..],
            b"-",
            b"+",
            b" ",
            b"1 ",
            b"- 1",
            b"0x10",
            b"1e3",
            b"+-1",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_c_integer(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_c_integer(b"18446744073709551615"), Some((false, u64::MAX)));
    }

    #[test]
    fn unsigned_types_wrap_negative_numbers_like_libvirt() {
        let p = |ty, s: &str| parse_value(ty, "f", s.as_bytes(), |_| None).ok();
        assert_eq!(p(ParamType::UInt, "-1"), Some(TypedValue::UInt(u32::MAX)));
        assert_eq!(p(ParamType::UInt, "-4294967295"), Some(TypedValue::UInt(1)));
        assert_eq!(p(ParamType::UInt, "-4294967296"), None);
        assert_eq!(p(ParamType::UInt, "4294967296"), None);
        assert_eq!(p(ParamType::ULLong, "-1"), Some(TypedValue::ULLong(u64::MAX)));
        assert_eq!(p(ParamType::Int, "-2147483648"), Some(TypedValue::Int(i32::MIN)));
        assert_eq!(p(ParamType::Int, "2147483648"), None);
        assert_eq!(p(ParamType::LLong, "-9223372036854775809"), None);
    }

    #[test]
    fn booleans_accept_only_libvirts_words() {
        let p = |s: &str| parse_value(ParamType::Boolean, "f", s.as_bytes(), |_| None).ok();
        assert_eq!(p("TRUE"), Some(TypedValue::Boolean(true)));
        assert_eq!(p("1"), Some(TypedValue::Boolean(true)));
        assert_eq!(p("False"), Some(TypedValue::Boolean(false)));
        assert_eq!(p("0"), Some(TypedValue::Boolean(false)));
        for bad in ["yes", "no", "on", "01", " 1", "2", ""] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn errors_read_like_libvirt() {
        let e = type_mismatch(ParamType::UInt, "dup", VIR_TYPED_PARAM_INT);
        assert_eq!(
            e.message,
            "invalid argument: Invalid type 'uint' requested for parameter 'dup', actual type is 'int'"
        );
        assert_eq!(
            type_mismatch(ParamType::Int, "w", 0).message.rsplit('\'').nth(1),
            Some("unknown")
        );
        assert_eq!(
            type_mismatch(ParamType::Int, "w", 8).message.rsplit('\'').nth(1),
            Some("(null)")
        );
        assert_eq!(
            name_too_long("abc").message,
            "internal error: Field name 'abc' too long"
        );
        assert_eq!(
            unexpected_type(99, "q").message,
            "internal error: unexpected type 99 for field q"
        );
    }

    #[test]
    fn names_are_limited_to_the_c_field() {
        assert!(TypedParam::new("a".repeat(MAX_NAME_LEN), TypedValue::Int(1)).is_ok());
        let e = TypedParam::new("b".repeat(MAX_NAME_LEN + 1), TypedValue::Int(1)).unwrap_err();
        assert_eq!(e.code, VIR_ERR_INTERNAL_ERROR);
        assert!(TypedParam::new("a\0b", TypedValue::Int(1)).is_err());
    }

    #[test]
    fn getters_take_the_first_match_and_check_types() {
        let params = vec![
            TypedParam::new("x", TypedValue::Int(1)).unwrap(),
            TypedParam::new("x", TypedValue::String("s".into())).unwrap(),
            TypedParam::new("s", TypedValue::String("v".into())).unwrap(),
        ];
        assert_eq!(get::<i32>(&params, "x"), Ok(Some(1)));
        assert_eq!(get::<&str>(&params, "s"), Ok(Some("v")));
        assert_eq!(get::<u64>(&params, "nope"), Ok(None));
        assert_eq!(get::<&str>(&params, "x").unwrap_err().code, VIR_ERR_INVALID_ARG);
    }
}
