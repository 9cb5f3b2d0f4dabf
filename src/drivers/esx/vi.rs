//! One session with a vSphere endpoint: the service content, login and
//! logout, method calls, and PropertyCollector retrievals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::soap::{self, child, child_text, children, MoRef, Reply};
use crate::abi::*;
use crate::error::{Error, Result};
use crate::net::{HttpClient, HttpOptions, HttpResponse};
use crate::xml::dom::Element;

/// What the endpoint says about itself (`ServiceContent.about`).
#[derive(Debug, Clone, Default)]
pub struct About {
    /// Product version (`6.5.0`).
    pub version: String,
    /// API version (`6.5`).
    pub api_version: String,
    /// `embeddedEsx`, `esx`, `gsx`, `vpx`.
    pub product_line_id: String,
}

/// The managers of the endpoint the driver uses.
#[derive(Debug, Clone)]
pub struct ServiceContent {
    /// The inventory's root folder.
    pub root_folder: MoRef,
    /// The property collector.
    pub property_collector: MoRef,
    /// The session manager.
    pub session_manager: MoRef,
    /// The search index (finds VMs and hosts by UUID or address).
    pub search_index: Option<MoRef>,
    /// The product description.
    pub about: About,
}

/// One object and the properties retrieved of it.
#[derive(Debug, Clone)]
pub struct ObjectContent {
    /// The object.
    pub obj: MoRef,
    /// (property path, `val` element) pairs.
    pub props: Vec<(String, Element)>,
}

impl ObjectContent {
    /// The value of property `name`.
    pub fn get(&self, name: &str) -> Option<&Element> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The trimmed text of property `name`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.text().trim().to_string())
    }

    /// Property `name` read as an integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(|t| t.parse().ok())
    }

    /// Property `name` read as a reference (its type implied by `implied`).
    pub fn moref(&self, name: &str, implied: Option<&str>) -> Option<MoRef> {
        self.get(name).and_then(|v| MoRef::from_element(v, implied))
    }

    /// Property `name` read as a list of references (`ArrayOfManagedObjectReference`).
    pub fn morefs(&self, name: &str, implied: Option<&str>) -> Vec<MoRef> {
        self.get(name)
            .map(|v| {
                children(v, "ManagedObjectReference")
                    .filter_map(|e| MoRef::from_element(e, implied))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A `PropertySpec`: which properties of objects of type `kind`.
pub fn prop_spec(kind: &str, paths: &[&str]) -> String {
    let mut s = format!("<propSet>{}<all>false</all>", soap::text("type", kind));
    for p in paths {
        s.push_str(&soap::text("pathSet", p));
    }
    s.push_str("</propSet>");
    s
}

/// A `TraversalSpec` named `name` from objects of `kind` along `path`,
/// continuing with the specs named in `then`.
pub fn traversal(name: &str, kind: &str, path: &str, then: &[&str]) -> String {
    let mut s = format!(
        "<selectSet xsi:type=\"TraversalSpec\">{}{}{}<skip>false</skip>",
        soap::text("name", name),
        soap::text("type", kind),
        soap::text("path", path)
    );
    for t in then {
        s.push_str(&format!("<selectSet>{}</selectSet>", soap::text("name", t)));
    }
    s.push_str("</selectSet>");
    s
}

/// An `ObjectSpec` starting at `obj` (itself reported unless `skip`).
pub fn object_spec(obj: &MoRef, skip: bool, select: &[String]) -> String {
    format!(
        "<objectSet>{}<skip>{skip}</skip>{}</objectSet>",
        obj.xml("obj"),
        select.concat()
    )
}

/// Counts SOAP requests; shared so that a caller can keep reading it after
/// the driver went into a connection.
pub type RequestCounter = Arc<AtomicU64>;

/// The methods the driver calls that change nothing on the server.
const READ_ONLY_METHODS: [&str; 5] = [
    "RetrieveServiceContent",
    "RetrievePropertiesEx",
    "ContinueRetrievePropertiesEx",
    "Login",
    "Logout",
];

/// A session with one endpoint.
pub struct Session {
    http: HttpClient,
    url: String,
    base: String,
    action: Mutex<String>,
    requests: RequestCounter,
    /// The credentials of the last login, to log in again when the server
    /// ended the session (vSphere drops idle sessions).
    credentials: Mutex<Option<(String, String)>>,
    /// Bumped around every call that may change something on the server,
    /// so that answers kept from a listing are known to be out of date.
    changes: AtomicU64,
    /// The endpoint's service content.
    pub content: ServiceContent,
}

impl Session {
    /// Connects to `base` (`https://host:port`) and reads its service content.
    pub fn connect(base: &str, opts: &HttpOptions, requests: RequestCounter) -> Result<Session> {
        let http = HttpClient::new(opts)?;
        let mut session = Session {
            http,
            url: format!("{base}/sdk"),
            base: base.to_string(),
            action: Mutex::new("urn:vim25".to_string()),
            requests,
            credentials: Mutex::new(None),
            changes: AtomicU64::new(0),
            content: ServiceContent {
                root_folder: MoRef::new("Folder", "group-d1"),
                property_collector: MoRef::new("PropertyCollector", "propertyCollector"),
                session_manager: MoRef::new("SessionManager", "SessionManager"),
                search_index: None,
                about: About::default(),
            },
        };
        let si = MoRef::new("ServiceInstance", "ServiceInstance");
        let reply = session.call("RetrieveServiceContent", &si, "")?;
        session.content = parse_service_content(&reply)?;
        *session.action.lock() = format!("urn:vim25/{}", session.content.about.api_version);
        Ok(session)
    }

    /// The `https://host:port` the session talks to.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The HTTP client (for datastore file transfers).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Counts one request made outside [`Session::call`] (file transfers).
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How many times something may have changed on the server through
    /// this session so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Notes that something may have changed on the server (a call, or a
    /// task that ended).
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Calls `method` on `this`: the response element, or the fault.
    pub fn call_raw(&self, method: &str, this: &MoRef, args: &str) -> Result<Reply> {
        // Counted before and after: a listing made while the call is on
        // its way is as out of date as one made before it.
        let changing = !READ_ONLY_METHODS.contains(&method);
        if changing {
            self.changed();
        }
        let reply = self.send(method, this, args);
        if changing {
            self.changed();
        }
        let reply = reply?;
        match &reply {
            Reply::Fault(_, f)
                if f.kind.as_deref() == Some("NotAuthenticated") && self.relogin(method)? =>
            {
                self.send(method, this, args)
            }
            _ => Ok(reply),
        }
    }

    /// Logs in again with the last credentials, unless `method` is itself
    /// part of logging in or out; true when it did.
    fn relogin(&self, method: &str) -> Result<bool> {
        if matches!(method, "Login" | "Logout" | "RetrieveServiceContent") {
            return Ok(false);
        }
        let Some((user, password)) = self.credentials.lock().clone() else {
            return Ok(false);
        };
        self.http.clear_cookies();
        self.login(&user, &password)?;
        Ok(true)
    }

    /// One request and its reply.
    fn send(&self, method: &str, this: &MoRef, args: &str) -> Result<Reply> {
        let body = soap::envelope(method, this, args);
        let action = self.action.lock().clone();
        self.count_request();
        let HttpResponse { status, body, .. } = self.http.request(
            "POST",
            &self.url,
            &[
                ("Content-Type", "text/xml; charset=utf-8"),
                ("SOAPAction", &action),
            ],
            Some(body.as_bytes()),
        )?;
        soap::parse_reply(method, status, &String::from_utf8_lossy(&body))
    }

    /// Calls `method` on `this`; a fault is an error.
    pub fn call(&self, method: &str, this: &MoRef, args: &str) -> Result<Element> {
        match self.call_raw(method, this, args)? {
            Reply::Ok(el) => Ok(el),
            Reply::Fault(status, fault) => Err(soap::fault_error(method, status, &fault)),
        }
    }

    /// Logs in as `user`.
    pub fn login(&self, user: &str, password: &str) -> Result<()> {
        let args = format!(
            "{}{}",
            soap::text("userName", user),
            soap::text("password", password)
        );
        self.call("Login", &self.content.session_manager, &args)?;
        *self.credentials.lock() = Some((user.to_string(), password.to_string()));
        Ok(())
    }

    /// Ends the session; failures do not matter any more.
    pub fn logout(&self) {
        *self.credentials.lock() = None;
        let _ = self.call("Logout", &self.content.session_manager, "");
        self.http.clear_cookies();
    }

    /// Retrieves properties: `specs` is the inside of a `PropertyFilterSpec`
    /// (its `propSet`s and `objectSet`s).  Continues paged results.
    pub fn retrieve(&self, specs: &str) -> Result<Vec<ObjectContent>> {
        match self.retrieve_once(specs) {
            // Servers report an ended session per property, not as a fault.
            Err(e) if e.code == VIR_ERR_AUTH_FAILED && self.relogin("RetrievePropertiesEx")? => {
                self.retrieve_once(specs)
            }
            other => other,
        }
    }

    fn retrieve_once(&self, specs: &str) -> Result<Vec<ObjectContent>> {
        let pc = &self.content.property_collector;
        let args = format!("<specSet>{specs}</specSet><options></options>");
        let mut reply = self.call("RetrievePropertiesEx", pc, &args)?;
        let mut out = Vec::new();
        while let Some(ret) = child(&reply, "returnval") {
            for obj in children(ret, "objects") {
                out.push(parse_object_content(obj)?);
            }
            match child_text(ret, "token") {
                Some(token) if !token.is_empty() => {
                    reply = self.call("ContinueRetrievePropertiesEx", pc, &soap::text("token", &token))?;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// Properties `paths` of the single object `obj`.
    pub fn retrieve_one(&self, obj: &MoRef, paths: &[&str]) -> Result<ObjectContent> {
        let specs = format!("{}{}", prop_spec(&obj.kind, paths), object_spec(obj, false, &[]));
        self.retrieve(&specs)?
            .into_iter()
            .find(|o| o.obj == *obj)
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    format!(
                        "Could not retrieve the properties of {} '{}'",
                        obj.kind, obj.value
                    ),
                )
            })
    }
}

fn parse_object_content(el: &Element) -> Result<ObjectContent> {
    let obj = child(el, "obj")
        .and_then(|o| MoRef::from_element(o, None))
        .ok_or_else(|| Error::internal(VIR_FROM_ESX, "ObjectContent is missing its 'obj'"))?;
    for m in children(el, "missingSet") {
        let denied = child(m, "fault")
            .and_then(|f| child(f, "fault"))
            .is_some_and(|f| soap::xsi_type(f) == Some("NotAuthenticated"));
        if denied {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_AUTH_FAILED,
                format!(
                    "The session is not authenticated (property '{}')",
                    child_text(m, "path").unwrap_or_default()
                ),
            ));
        }
    }
    let mut props = Vec::new();
    for p in children(el, "propSet") {
        let (Some(name), Some(val)) = (child_text(p, "name"), child(p, "val")) else {
            continue;
        };
        props.push((name, val.clone()));
    }
    Ok(ObjectContent { obj, props })
}

fn parse_service_content(reply: &Element) -> Result<ServiceContent> {
    let missing = |what: &str| {
        Error::internal(
            VIR_FROM_ESX,
            format!("The service content of the server lacks '{what}'"),
        )
    };
    let ret = child(reply, "returnval").ok_or_else(|| missing("returnval"))?;
    let reference =
        |name: &str, implied: &str| child(ret, name).and_then(|e| MoRef::from_element(e, Some(implied)));
    let about_el = child(ret, "about").ok_or_else(|| missing("about"))?;
    let about = About {
        version: child_text(about_el, "version").ok_or_else(|| missing("about.version"))?,
        api_version: child_text(about_el, "apiVersion").unwrap_or_else(|| "2.5".to_string()),
        product_line_id: child_text(about_el, "productLineId").unwrap_or_default(),
    };
    Ok(ServiceContent {
        root_folder: reference("rootFolder", "Folder").ok_or_else(|| missing("rootFolder"))?,
        property_collector: reference("propertyCollector", "PropertyCollector")
            .ok_or_else(|| missing("propertyCollector"))?,
        session_manager: reference("sessionManager", "SessionManager")
            .ok_or_else(|| missing("sessionManager"))?,
        search_index: reference("searchIndex", "SearchIndex"),
        about,
    })
}

/// `name` with vSphere's escapes (`%2f`, `%5c`, `%25`) undone, as the
/// domain name users see.
pub fn unescape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3);
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if b.is_ascii() => {
                out.push(b as char);
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A name escaped as vSphere stores it (`%` and `/` and `\`).
pub fn escape_name(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2f").replace('\\', "%5c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(unescape_name("a%2fb%25c%5cd"), "a/b%c\\d");
        assert_eq!(unescape_name("100%"), "100%");
        assert_eq!(unescape_name("x%zz"), "x%zz");
        assert_eq!(escape_name("a/b%c\\d"), "a%2fb%25c%5cd");
    }

    #[test]
    fn specs_are_well_formed() {
        let s = format!(
            "{}{}",
            prop_spec("VirtualMachine", &["name"]),
            object_spec(
                &MoRef::new("HostSystem", "ha-host"),
                true,
                &[traversal("hostToVm", "HostSystem", "vm", &[])]
            )
        );
        assert!(crate::xml::dom::parse(&format!("<r xmlns:xsi='x'>{s}</r>")).is_ok());
    }
}
