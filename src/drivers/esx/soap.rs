//! SOAP envelopes of the vSphere API: writing requests and reading replies,
//! with faults, truncated and malformed documents reported as clear errors.
//!
//! Element names are matched by local name: servers differ in the prefixes
//! they use, and some (the simulator among them) leave out `xsi:type` where
//! the schema implies the type, so nothing here depends on it.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::escape;

/// A managed object reference: its type and its id on the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MoRef {
    /// The managed object type (`VirtualMachine`, `Task`, ...).
    pub kind: String,
    /// The server's id for the object (`vm-42`, `ha-host`, ...).
    pub value: String,
}

impl MoRef {
    /// A reference to `value` of type `kind`.
    pub fn new(kind: &str, value: &str) -> MoRef {
        MoRef {
            kind: kind.to_string(),
            value: value.to_string(),
        }
    }

    /// The reference as element `name` of a request.
    pub fn xml(&self, name: &str) -> String {
        format!(
            "<{name} type=\"{}\">{}</{name}>",
            escape(&self.kind),
            escape(&self.value)
        )
    }

    /// Reads a reference from an element; the type may be implied by
    /// the context (`implied`) when the server leaves it out.
    pub fn from_element(el: &Element, implied: Option<&str>) -> Option<MoRef> {
        let kind = el
            .attrs
            .iter()
            .find(|(k, _)| k == "type")
            .map(|(_, v)| local(v).to_string())
            .or_else(|| implied.map(str::to_string))?;
        let value = el.text().trim().to_string();
        if value.is_empty() {
            return None;
        }
        Some(MoRef { kind, value })
    }
}

pub use crate::xml::dom::{child, child_text, children, local};

/// The element at a dotted path of local names below `el`.
pub fn path<'a>(el: &'a Element, dotted: &str) -> Option<&'a Element> {
    let mut cur = el;
    for part in dotted.split('.') {
        cur = child(cur, part)?;
    }
    Some(cur)
}

/// The `xsi:type` of an element, without prefixes.
pub fn xsi_type(el: &Element) -> Option<&str> {
    el.attrs
        .iter()
        .find(|(k, _)| k.contains(':') && local(k) == "type")
        .map(|(_, v)| local(v))
}

/// Text escaped for a request.
pub fn text(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", escape(value))
}

/// A whole request document calling `method` on `this` with `args`
/// (already serialised, in schema order).
pub fn envelope(method: &str, this: &MoRef, args: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <soapenv:Body><{method} xmlns=\"urn:vim25\">{}{args}</{method}></soapenv:Body>\
         </soapenv:Envelope>",
        this.xml("_this")
    )
}

/// A SOAP fault the server returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `faultcode` (e.g. `ServerFaultCode`).
    pub code: String,
    /// `faultstring`, the server's message.
    pub message: String,
    /// The vSphere fault type from `detail` (e.g. `InvalidLogin`), if given.
    pub kind: Option<String>,
}

/// How a call ended: its result element, or a fault.
pub enum Reply {
    /// The `<methodResponse>` element.
    Ok(Element),
    /// The server's fault, with the HTTP status it came with.
    Fault(u16, Fault),
}

/// Reads the reply to `method` (HTTP `status`, `body`).
pub fn parse_reply(method: &str, status: u16, body: &str) -> Result<Reply> {
    let unparsable = |why: &str| {
        Error::internal(
            VIR_FROM_ESX,
            format!(
                "HTTP response code {status} for call to '{method}': the reply could not be parsed: {why}"
            ),
        )
    };
    if body.trim().is_empty() {
        return Err(if status == 200 {
            unparsable("it is empty")
        } else {
            Error::internal(
                VIR_FROM_ESX,
                format!("HTTP response code {status} for call to '{method}'"),
            )
        });
    }
    let root = match dom::parse(body) {
        Ok(root) => root,
        // A status other than 200 with a non-SOAP body (an HTML error page,
        // a proxy's reply) is reported by its status.
        Err(_) if status != 200 && status != 500 => {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("HTTP response code {status} for call to '{method}'"),
            ))
        }
        Err(e) => return Err(unparsable(&format!("line {}: {}", e.line, e.message))),
    };
    if local(&root.name) != "Envelope" {
        return Err(unparsable(&format!("unexpected root element '{}'", root.name)));
    }
    let body_el = child(&root, "Body").ok_or_else(|| unparsable("the Body is missing"))?;
    if let Some(fault) = child(body_el, "Fault") {
        let kind = child(fault, "detail")
            .and_then(|d| d.elements().next())
            .map(|f| {
                xsi_type(f)
                    .map(str::to_string)
                    .unwrap_or_else(|| local(&f.name).trim_end_matches("Fault").to_string())
            })
            .filter(|k| !k.is_empty());
        return Ok(Reply::Fault(
            status,
            Fault {
                code: child_text(fault, "faultcode").unwrap_or_default(),
                message: child_text(fault, "faultstring").unwrap_or_default(),
                kind,
            },
        ));
    }
    if status != 200 {
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!("HTTP response code {status} for call to '{method}'"),
        ));
    }
    let response = body_el
        .elements()
        .next()
        .ok_or_else(|| unparsable("the Body is empty"))?;
    let expected = format!("{method}Response");
    if local(&response.name) != expected {
        return Err(unparsable(&format!(
            "expected '{expected}' but found '{}'",
            local(&response.name)
        )));
    }
    Ok(Reply::Ok(response.clone()))
}

/// The error a fault becomes, in libvirt's words.
pub fn fault_error(method: &str, status: u16, fault: &Fault) -> Error {
    Error::internal(
        VIR_FROM_ESX,
        format!(
            "HTTP response code {status} for call to '{method}'. Fault: {} - {}",
            fault.code, fault.message
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><LoginResponse xmlns="urn:vim25"><returnval><key>k</key></returnval></LoginResponse></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn envelope_escapes_and_names_this() {
        let e = envelope(
            "Login",
            &MoRef::new("SessionManager", "ha-sessionmgr"),
            &text("userName", "a<b"),
        );
        assert!(e.contains("<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">ha-sessionmgr</_this><userName>a&lt;b</userName></Login>"));
    }

    #[test]
    fn good_reply() {
        match parse_reply("Login", 200, OK).unwrap() {
            Reply::Ok(el) => assert_eq!(
                child_text(child(&el, "returnval").unwrap(), "key").as_deref(),
                Some("k")
            ),
            Reply::Fault(..) => panic!("fault"),
        }
    }

    #[test]
    fn fault_reply() {
        let body = r#"<soapenv:Envelope xmlns:soapenv="x" xmlns:xsi="y"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        let Reply::Fault(status, f) = parse_reply("Login", 500, body).unwrap() else {
            panic!("no fault")
        };
        assert_eq!(f.kind.as_deref(), Some("InvalidLogin"));
        let e = fault_error("Login", status, &f);
        assert_eq!(e.domain, VIR_FROM_ESX);
        assert_eq!(
            e.message,
            "internal error: HTTP response code 500 for call to 'Login'. Fault: ServerFaultCode - Cannot complete login due to an incorrect user name or password."
        );
        // Without xsi:type the element name tells the fault.
        let body = body.replace(" xsi:type=\"InvalidLogin\"", "");
        let Reply::Fault(_, f) = parse_reply("Login", 500, &body).unwrap() else {
            panic!("no fault")
        };
        assert_eq!(f.kind.as_deref(), Some("InvalidLogin"));
    }

    #[test]
    fn broken_replies_are_clear_errors() {
        for (status, body) in [
            (200, &OK[..OK.len() / 2]),
            (200, ""),
            (200, "not xml at all"),
            (200, "<a/>"),
            (200, "<s:Envelope xmlns:s='x'/>"),
            (200, "<s:Envelope xmlns:s='x'><s:Body/></s:Envelope>"),
            (
                200,
                "<s:Envelope xmlns:s='x'><s:Body><OtherResponse/></s:Body></s:Envelope>",
            ),
            (503, "<html>busy</html>"),
            (404, ""),
            (
                500,
                "<s:Envelope xmlns:s='x'><s:Body><LoginResponse/></s:Body></s:Envelope>",
            ),
        ] {
            let e = match parse_reply("Login", status, body) {
                Err(e) => e,
                Ok(_) => panic!("accepted {body:?}"),
            };
            assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_INTERNAL_ERROR));
            assert!(e.message.contains("call to 'Login'"), "{}", e.message);
        }
    }

    #[test]
    fn references_with_and_without_type() {
        let el = dom::parse("<obj type='VirtualMachine'>vm-1</obj>").unwrap();
        assert_eq!(
            MoRef::from_element(&el, None),
            Some(MoRef::new("VirtualMachine", "vm-1"))
        );
        // The simulator puts an xsi:type beside the reference's own type.
        let el =
            dom::parse("<val xmlns:x='i' x:type='ManagedObjectReference' type='Folder'>f</val>").unwrap();
        assert_eq!(MoRef::from_element(&el, None), Some(MoRef::new("Folder", "f")));
        let el = dom::parse("<obj>vm-1</obj>").unwrap();
        assert_eq!(MoRef::from_element(&el, None), None);
        assert_eq!(
            MoRef::from_element(&el, Some("VirtualMachine")),
            Some(MoRef::new("VirtualMachine", "vm-1"))
        );
    }
}
