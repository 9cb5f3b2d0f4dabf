//! A WS-Management client (DMTF DSP0226, Microsoft's MS-WSMV profile) for
//! the WMI classes Hyper-V publishes: enumeration with WQL filters (optimized,
//! many items per reply), Get by selectors, method invocation with simple,
//! endpoint-reference and embedded-instance arguments, and the polling of
//! `Msvm_ConcreteJob`s that asynchronous methods start.
//!
//! Replies are read by local element names: WinRM picks its own prefixes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::transport::Transport;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, child, child_text, children, local, Element};
use crate::xml::escape;

/// Where WMI classes live in WS-Man resource URIs.
pub const WMI_BASE: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/";
/// The namespace of Win32_* classes.
pub const CIMV2: &str = "root/cimv2";
/// Hyper-V's namespace from Windows Server 2012 on.
pub const VIRT_V2: &str = "root/virtualization/v2";
/// Hyper-V's namespace on Windows Server 2008 (R2).
pub const VIRT_V1: &str = "root/virtualization";

const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
const NS_ENUM: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
const ACTION_ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
const ACTION_PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
const ACTION_RELEASE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";
const ACTION_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
/// The WQL filter dialect WinRM understands.
pub const DIALECT_WQL: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";

/// Items asked for per Enumerate or Pull: WinRM sends fewer when its
/// envelope limit is reached, so this only bounds the round trips.
const MAX_ELEMENTS: u32 = 256;
/// The envelope size we accept (WinRM's default limit is 500 KiB; the
/// client may ask for more).
const MAX_ENVELOPE: u32 = 4 * 1024 * 1024;
/// Pulls of one enumeration, at most (a server that never ends it).
const MAX_PULLS: usize = 100_000;

/// The resource URI of `class` in the WMI namespace `ns`.
pub fn resource_uri(ns: &str, class: &str) -> String {
    format!("{WMI_BASE}{ns}/{class}")
}

/// A string quoted for a WQL literal (backslash and quote escaped).
pub fn wql_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// One CIM instance as WS-Man returned it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Instance {
    /// The class name (the item's local element name).
    pub class: String,
    /// Properties in document order; array properties repeat their name;
    /// `None` is an `xsi:nil` value.
    pub props: Vec<(String, Option<String>)>,
}

impl Instance {
    /// Reads an instance element.
    pub fn from_element(el: &Element) -> Instance {
        let props = el
            .elements()
            .map(|p| {
                let nil = p.attrs.iter().any(|(k, v)| local(k) == "nil" && v == "true");
                // Datetimes and intervals come wrapped in a cim: element.
                let value = match p.elements().next() {
                    Some(inner) if p.text().trim().is_empty() => inner.text(),
                    _ => p.text(),
                };
                (local(&p.name).to_string(), (!nil).then_some(value))
            })
            .collect();
        Instance {
            class: local(&el.name).to_string(),
            props,
        }
    }

    /// The (first) value of a property; None when absent or nil.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of an array property.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.props
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// A property read as an integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.trim().parse().ok()
    }

    /// A property that must be there, as text.
    pub fn need(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            Error::internal(
                VIR_FROM_HYPERV,
                format!("Missing '{name}' property of {}", self.class),
            )
        })
    }
}

/// An endpoint reference: a resource URI and the selectors of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epr {
    /// The class's resource URI.
    pub resource_uri: String,
    /// Key property name and value pairs.
    pub selectors: Vec<(String, String)>,
}

impl Epr {
    /// The reference as the content of a method parameter.
    fn xml(&self) -> String {
        format!(
            "<a:Address>{ANONYMOUS}</a:Address><a:ReferenceParameters>\
             <w:ResourceURI>{}</w:ResourceURI>{}</a:ReferenceParameters>",
            escape(&self.resource_uri),
            selector_set(&self.selectors)
        )
    }

    /// Reads an EPR element (`Address` + `ReferenceParameters`).
    pub fn from_element(el: &Element) -> Option<Epr> {
        let params = child(el, "ReferenceParameters")?;
        let resource_uri = child_text(params, "ResourceURI")?;
        let selectors = child(params, "SelectorSet")
            .map(|set| {
                children(set, "Selector")
                    .map(|s| {
                        (
                            s.attr("Name").unwrap_or("").to_string(),
                            s.text().trim().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Epr {
            resource_uri,
            selectors,
        })
    }
}

/// The `<Method>_OUTPUT` element of an invocation.
#[derive(Debug, Clone)]
pub struct Output(pub Element);

impl Output {
    /// The endpoint references an output parameter holds.
    pub fn references(&self, name: &str) -> Vec<Epr> {
        children(&self.0, name).filter_map(Epr::from_element).collect()
    }
}

/// One input parameter of a method.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A plain value.
    Simple(String, String),
    /// A reference to an instance.
    Reference(String, Epr),
    /// An embedded instance of a class (CIM-XML `INSTANCE`, as WMI wants
    /// embedded objects passed as strings): class name and properties.
    Embedded(String, String, Vec<(String, String)>),
}

/// An embedded instance as the CIM-XML text WMI parses.
pub fn cim_instance(class: &str, props: &[(String, String)]) -> String {
    let mut s = format!("<INSTANCE CLASSNAME=\"{}\">", escape(class));
    for (k, v) in props {
        s.push_str(&format!(
            "<PROPERTY NAME=\"{}\" TYPE=\"string\"><VALUE>{}</VALUE></PROPERTY>",
            escape(k),
            escape(v)
        ));
    }
    s.push_str("</INSTANCE>");
    s
}

fn selector_set(selectors: &[(String, String)]) -> String {
    if selectors.is_empty() {
        return String::new();
    }
    let mut s = String::from("<w:SelectorSet>");
    for (k, v) in selectors {
        s.push_str(&format!(
            "<w:Selector Name=\"{}\">{}</w:Selector>",
            escape(k),
            escape(v)
        ));
    }
    s.push_str("</w:SelectorSet>");
    s
}

/// A fault the service returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// `Code/Value` (e.g. `s:Sender`).
    pub code: String,
    /// `Code/Subcode/Value` (e.g. `w:InvalidSelectors`).
    pub subcode: String,
    /// `Reason/Text`.
    pub reason: String,
    /// The WMI/WinRM message of `Detail`, if any.
    pub detail: String,
}

impl Fault {
    fn read(fault: &Element) -> Fault {
        let code_el = child(fault, "Code");
        let value = |e: Option<&Element>| e.and_then(|c| child_text(c, "Value")).unwrap_or_default();
        let detail = child(fault, "Detail")
            .map(|d| {
                let mut text = Vec::new();
                collect_text(d, &mut text);
                text.join(" ")
            })
            .unwrap_or_default();
        Fault {
            code: value(code_el),
            subcode: value(code_el.and_then(|c| child(c, "Subcode"))),
            reason: child(fault, "Reason")
                .and_then(|r| child_text(r, "Text"))
                .unwrap_or_default(),
            detail,
        }
    }

    /// The subcode without its prefix (`InvalidSelectors`).
    pub fn kind(&self) -> &str {
        local(&self.subcode)
    }
}

fn collect_text(el: &Element, out: &mut Vec<String>) {
    let t = el.text();
    let t = t.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
    for c in el.elements() {
        collect_text(c, out);
    }
}

/// The CIM return codes of methods, as libvirt names them.
pub fn return_code_text(code: i64) -> &'static str {
    match code {
        0 => "Completed with No Error",
        1 => "Not Supported",
        2 => "Unknown Error",
        3 => "Cannot Complete Within Timeout Period",
        4 => "Failed",
        5 => "Invalid Parameter",
        6 => "In Use",
        4096 => "Method Parameters Checked - Transition Started",
        4097 => "Invalid State Transition",
        4098 => "Use of Timeout Parameter Not Supported",
        4099 => "Busy",
        _ => "Unknown return code",
    }
}

/// One WS-Management endpoint (`<scheme>://host:port/wsman`).
pub struct Client {
    transport: Transport,
    url: String,
    requests: Arc<AtomicU64>,
    /// How long an asynchronous method's job may run.
    pub job_timeout: Duration,
    /// How often a job is polled.
    pub job_poll: Duration,
}

/// Standard base64 (RFC 4648) of `data`.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn message_id() -> String {
    format!("uuid:{}", crate::domain::Uuid::generate()).to_ascii_uppercase()
}

impl Client {
    /// A client of the service at `url` (ending in `/wsman`).
    pub fn new(transport: Transport, url: &str, requests: Arc<AtomicU64>) -> Client {
        Client {
            transport,
            url: url.to_string(),
            requests,
            job_timeout: Duration::from_secs(300),
            job_poll: Duration::from_millis(100),
        }
    }

    /// Whether requests go with NTLM (after negotiation).
    pub fn uses_ntlm(&self) -> bool {
        self.transport.uses_ntlm()
    }

    /// The counter of requests sent.
    pub fn requests(&self) -> Arc<AtomicU64> {
        self.requests.clone()
    }

    /// How many requests this client sent.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn envelope(
        &self,
        action: &str,
        resource_uri: &str,
        selectors: &[(String, String)],
        body: &str,
    ) -> String {
        format!(
            "<s:Envelope xmlns:s=\"{NS_SOAP}\" xmlns:a=\"{NS_ADDRESSING}\" xmlns:w=\"{NS_WSMAN}\" \
             xmlns:n=\"{NS_ENUM}\"><s:Header>\
             <a:To>{}</a:To>\
             <w:ResourceURI s:mustUnderstand=\"true\">{}</w:ResourceURI>\
             <a:ReplyTo><a:Address s:mustUnderstand=\"true\">{ANONYMOUS}</a:Address></a:ReplyTo>\
             <a:Action s:mustUnderstand=\"true\">{}</a:Action>\
             <w:MaxEnvelopeSize s:mustUnderstand=\"true\">{MAX_ENVELOPE}</w:MaxEnvelopeSize>\
             <a:MessageID>{}</a:MessageID>\
             <w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>\
             <w:OperationTimeout>PT60.000S</w:OperationTimeout>{}\
             </s:Header><s:Body>{body}</s:Body></s:Envelope>",
            escape(&self.url),
            escape(resource_uri),
            escape(action),
            message_id(),
            selector_set(selectors),
        )
    }

    /// Sends one request and returns the reply's Body element; `what`
    /// names the operation in errors.
    fn send(
        &self,
        action: &str,
        resource_uri: &str,
        selectors: &[(String, String)],
        body: &str,
        what: &str,
    ) -> Result<Element> {
        let doc = self.envelope(action, resource_uri, selectors, body);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let reply = self.transport.post(doc.as_bytes(), what)?;
        let status = reply.status;
        if status == 401 {
            return Err(Error::with(
                VIR_FROM_HYPERV,
                VIR_ERR_AUTH_FAILED,
                format!("Authentication failed during {what}: the server refused the credentials (HTTP 401)"),
            ));
        }
        let text = reply.text();
        let root = match dom::parse(&text) {
            Ok(root) => root,
            Err(_) if status != 200 && status != 400 && status != 500 => {
                return Err(Error::internal(
                    VIR_FROM_HYPERV,
                    format!("Transport error during {what}: HTTP response code {status}"),
                ))
            }
            Err(e) => {
                return Err(Error::internal(
                    VIR_FROM_HYPERV,
                    format!(
                        "Could not parse the response of {what} (HTTP {status}): line {}: {}",
                        e.line, e.message
                    ),
                ))
            }
        };
        let body = (local(&root.name) == "Envelope")
            .then(|| child(&root, "Body"))
            .flatten()
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_HYPERV,
                    format!("Could not parse the response of {what}: it is not a SOAP envelope"),
                )
            })?;
        if let Some(f) = child(body, "Fault") {
            let fault = Fault::read(f);
            return Err(fault_error(what, &fault));
        }
        if status != 200 {
            return Err(Error::internal(
                VIR_FROM_HYPERV,
                format!("Transport error during {what}: HTTP response code {status}"),
            ));
        }
        Ok(body.clone())
    }

    /// Every instance a WQL query selects in the WMI namespace `ns`.
    pub fn query(&self, ns: &str, wql: &str) -> Result<Vec<Instance>> {
        let root = format!("{WMI_BASE}{ns}/*");
        let what = format!("enumeration of '{wql}'");
        let body = format!(
            "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>{MAX_ELEMENTS}</w:MaxElements>\
             <w:Filter Dialect=\"{DIALECT_WQL}\">{}</w:Filter></n:Enumerate>",
            escape(wql)
        );
        let reply = self.send(ACTION_ENUMERATE, &root, &[], &body, &what)?;
        let response =
            child(&reply, "EnumerateResponse").ok_or_else(|| unexpected(&what, "EnumerateResponse"))?;
        let mut out = Vec::new();
        let mut context = read_batch(response, &mut out);
        let mut pulls = 0;
        while let Some(ctx) = context {
            pulls += 1;
            if pulls > MAX_PULLS {
                let _ = self.send(
                    ACTION_RELEASE,
                    &root,
                    &[],
                    &format!(
                        "<n:Release><n:EnumerationContext>{}</n:EnumerationContext></n:Release>",
                        escape(&ctx)
                    ),
                    &what,
                );
                return Err(Error::internal(
                    VIR_FROM_HYPERV,
                    format!("The enumeration of '{wql}' did not end after {MAX_PULLS} pulls"),
                ));
            }
            let body = format!(
                "<n:Pull><n:EnumerationContext>{}</n:EnumerationContext>\
                 <n:MaxElements>{MAX_ELEMENTS}</n:MaxElements></n:Pull>",
                escape(&ctx)
            );
            let reply = self.send(ACTION_PULL, &root, &[], &body, &what)?;
            let response = child(&reply, "PullResponse").ok_or_else(|| unexpected(&what, "PullResponse"))?;
            context = read_batch(response, &mut out);
        }
        Ok(out)
    }

    /// The instance of `class` in `ns` that `selectors` name.
    pub fn get(&self, ns: &str, class: &str, selectors: &[(String, String)]) -> Result<Instance> {
        let uri = resource_uri(ns, class);
        let what = format!("Get of {class}");
        let reply = self.send(ACTION_GET, &uri, selectors, "", &what)?;
        let item = reply.elements().next().ok_or_else(|| unexpected(&what, class))?;
        Ok(Instance::from_element(item))
    }

    /// Invokes `method` of the instance `selectors` name, waiting for the
    /// job it may start; returns the output.
    pub fn invoke(
        &self,
        ns: &str,
        class: &str,
        selectors: &[(String, String)],
        method: &str,
        args: &[Arg],
    ) -> Result<Output> {
        let uri = resource_uri(ns, class);
        let mut body = format!("<p:{method}_INPUT xmlns:p=\"{}\">", escape(&uri));
        for arg in args {
            match arg {
                Arg::Simple(name, value) => body.push_str(&format!("<p:{name}>{}</p:{name}>", escape(value))),
                Arg::Reference(name, epr) => body.push_str(&format!("<p:{name}>{}</p:{name}>", epr.xml())),
                Arg::Embedded(name, class, props) => body.push_str(&format!(
                    "<p:{name}>{}</p:{name}>",
                    escape(&cim_instance(class, props))
                )),
            }
        }
        body.push_str(&format!("</p:{method}_INPUT>"));
        let action = format!("{uri}/{method}");
        let what = format!("invocation of {method}");
        let reply = self.send(&action, &uri, selectors, &body, &what)?;
        let output_name = format!("{method}_OUTPUT");
        let output = reply
            .elements()
            .find(|e| local(&e.name) == output_name)
            .ok_or_else(|| unexpected(&what, &output_name))?;
        let out = Output(output.clone());
        let code = Instance::from_element(output).int("ReturnValue").ok_or_else(|| {
            Error::internal(
                VIR_FROM_HYPERV,
                format!("Invocation of {method} returned no ReturnValue"),
            )
        })?;
        match code {
            0 => Ok(out),
            4096 => {
                let job = children(output, "Job")
                    .next()
                    .and_then(Epr::from_element)
                    .ok_or_else(|| {
                        Error::internal(
                            VIR_FROM_HYPERV,
                            format!("Invocation of {method} started a job but returned no reference to it"),
                        )
                    })?;
                self.wait_job(ns, &job, method)?;
                Ok(out)
            }
            _ => Err(Error::internal(
                VIR_FROM_HYPERV,
                format!(
                    "Invocation of {method} returned an error: {} ({code})",
                    return_code_text(code)
                ),
            )),
        }
    }

    /// Polls a job until it completes, fails or takes too long.
    fn wait_job(&self, ns: &str, job: &Epr, method: &str) -> Result<()> {
        let class = job
            .resource_uri
            .rsplit('/')
            .next()
            .unwrap_or("Msvm_ConcreteJob")
            .to_string();
        let start = Instant::now();
        loop {
            let inst = self.get(ns, &class, &job.selectors)?;
            let state = inst.int("JobState").unwrap_or(-1);
            match state {
                // New, Starting, Running, Shutting down.
                2 | 3 | 4 | 6 => {}
                7 => return Ok(()),
                8..=11 => {
                    let why = inst
                        .get("ErrorDescription")
                        .filter(|d| !d.is_empty())
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default();
                    return Err(Error::internal(
                        VIR_FROM_HYPERV,
                        format!("Concrete job for {method} invocation is in error state{why}"),
                    ));
                }
                _ => {
                    return Err(Error::internal(
                        VIR_FROM_HYPERV,
                        format!("Concrete job for {method} invocation is in unknown state"),
                    ))
                }
            }
            if start.elapsed() >= self.job_timeout {
                return Err(Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_OPERATION_TIMEOUT,
                    format!("Timeout waiting for {method} invocation"),
                ));
            }
            std::thread::sleep(self.job_poll);
        }
    }
}

/// Appends the items of an Enumerate or Pull response; returns the context
/// to pull next, None at the end of the sequence.
fn read_batch(response: &Element, out: &mut Vec<Instance>) -> Option<String> {
    if let Some(items) = child(response, "Items") {
        out.extend(items.elements().map(Instance::from_element));
    }
    if child(response, "EndOfSequence").is_some() {
        return None;
    }
    child_text(response, "EnumerationContext").filter(|c| !c.is_empty())
}

fn unexpected(what: &str, element: &str) -> Error {
    Error::internal(
        VIR_FROM_HYPERV,
        format!("Could not parse the response of {what}: no '{element}' element"),
    )
}

/// Whether an error is a SOAP fault the service returned.
pub fn is_fault(e: &Error) -> bool {
    e.message.contains("SOAP fault during ")
}

/// A fault as libvirt reports it: operation, code, subcode, reason, detail.
fn fault_error(what: &str, f: &Fault) -> Error {
    let code = match f.kind() {
        "AccessDenied" => VIR_ERR_AUTH_FAILED,
        _ => VIR_ERR_INTERNAL_ERROR,
    };
    Error::with(
        VIR_FROM_HYPERV,
        code,
        format!(
            "SOAP fault during {what}: code '{}', subcode '{}', reason '{}', detail '{}'",
            f.code, f.subcode, f.reason, f.detail
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn wql_literals_are_escaped() {
        assert_eq!(wql_quote("a'b\\c"), "'a\\'b\\\\c'");
    }

    #[test]
    fn instances_read_nil_arrays_and_datetimes() {
        let el = dom::parse(
            "<p:X xmlns:p='u' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:cim='c'>\
             <p:A>1</p:A><p:N xsi:nil='true'/><p:L>x</p:L><p:L>y</p:L>\
             <p:T><cim:Datetime>2020-01-01T00:00:00Z</cim:Datetime></p:T></p:X>",
        )
        .unwrap();
        let i = Instance::from_element(&el);
        assert_eq!(i.class, "X");
        assert_eq!(i.int("A"), Some(1));
        assert_eq!(i.get("N"), None);
        assert_eq!(i.all("L"), vec!["x", "y"]);
        assert_eq!(i.get("T"), Some("2020-01-01T00:00:00Z"));
    }
}
