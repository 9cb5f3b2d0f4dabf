//! libvirt-event.h's exports with an application's own loop
//! (`virEventRegisterImpl`), as C callers and the crate itself use it.
//!
//! Registration is process-wide and permanent, so this file is one test that
//! walks through the states in order (each tests/*.rs runs in its own process).

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use parking_lot::Mutex;
use virt::abi::*;
use virt::event::{self, Events};
use virt::ffi::event::*;

/// What the application's loop was asked, and the arguments it kept.
#[derive(Default)]
struct App {
    calls: Vec<String>,
    handle: Option<(virEventHandleCallback, usize, virFreeCallback)>,
    timeout: Option<(virEventTimeoutCallback, usize, virFreeCallback)>,
    next_result: c_int,
}

static APP: Mutex<App> = Mutex::new(App {
    calls: Vec::new(),
    handle: None,
    timeout: None,
    next_result: 0,
});

fn calls() -> Vec<String> {
    std::mem::take(&mut APP.lock().calls)
}

unsafe extern "C" fn app_add_handle(
    fd: c_int,
    events: c_int,
    cb: virEventHandleCallback,
    opaque: *mut c_void,
    ff: virFreeCallback,
) -> c_int {
    let mut app = APP.lock();
    app.calls.push(format!("add_handle {fd} {events}"));
    app.handle = Some((cb, opaque as usize, ff));
    app.next_result
}

unsafe extern "C" fn app_update_handle(watch: c_int, events: c_int) {
    APP.lock().calls.push(format!("update_handle {watch} {events}"));
}

unsafe extern "C" fn app_add_timeout(
    ms: c_int,
    cb: virEventTimeoutCallback,
    opaque: *mut c_void,
    ff: virFreeCallback,
) -> c_int {
    let mut app = APP.lock();
    app.calls.push(format!("add_timeout {ms}"));
    app.timeout = Some((cb, opaque as usize, ff));
    app.next_result
}

unsafe extern "C" fn app_remove_timeout(timer: c_int) -> c_int {
    APP.lock().calls.push(format!("remove_timeout {timer}"));
    7
}

unsafe extern "C" fn app_remove_handle(watch: c_int) -> c_int {
    APP.lock().calls.push(format!("remove_handle {watch}"));
    0
}

unsafe extern "C" fn caller_handle_cb(_: c_int, _: c_int, _: c_int, _: *mut c_void) {}
unsafe extern "C" fn caller_timeout_cb(_: c_int, _: *mut c_void) {}
unsafe extern "C" fn caller_free(_: *mut c_void) {}

#[test]
fn application_loop_through_the_c_api() {
    // SAFETY (whole test): the callbacks given are the extern "C" fns above;
    // the ones we get back are called only as the event API contract allows.
    unsafe {
        // Registering nothing leaves no loop, and a real registration still works.
        virEventRegisterImpl(None, None, None, None, None, None);
        assert!(!event::is_registered());
        assert_eq!(
            virEventAddTimeout(0, Some(caller_timeout_cb), std::ptr::null_mut(), None),
            -1
        );

        // Only some functions: the missing ones fail (-1) or do nothing.
        virEventRegisterImpl(
            Some(app_add_handle),
            Some(app_update_handle),
            None,
            Some(app_add_timeout),
            None,
            Some(app_remove_timeout),
        );
        assert!(event::is_registered());

        // A later registration, even of the default loop, is ignored.
        virEventRegisterImpl(None, None, Some(app_remove_handle), None, None, None);
        assert_eq!(virEventRegisterDefaultImpl(), 0);

        // C callers' arguments and the application's results pass through unchanged.
        APP.lock().next_result = 42;
        let ret = virEventAddHandle(
            5,
            3,
            Some(caller_handle_cb),
            0x1234 as *mut c_void,
            Some(caller_free),
        );
        assert_eq!(ret, 42);
        let (cb, opaque, ff) = APP.lock().handle.take().unwrap();
        assert_eq!(
            cb.map(|f| f as *const () as usize),
            Some(caller_handle_cb as *const () as usize)
        );
        assert_eq!(
            ff.map(|f| f as *const () as usize),
            Some(caller_free as *const () as usize)
        );
        assert_eq!(opaque, 0x1234);
        virEventUpdateHandle(42, 1);
        assert_eq!(virEventRemoveHandle(42), -1, "no removeHandle registered");
        assert_eq!(virEventAddTimeout(250, None, std::ptr::null_mut(), None), 42);
        virEventUpdateTimeout(42, 0);
        assert_eq!(virEventRemoveTimeout(42), 7, "the application's result as is");
        assert_eq!(
            calls(),
            [
                "add_handle 5 3",
                "update_handle 42 1",
                "add_timeout 250",
                "remove_timeout 42"
            ]
        );

        // The crate's own callbacks reach the application's loop through
        // trampolines; the free callback drops them.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(dropped.clone());
        let s = seen.clone();
        let watch = event::add_handle(9, Events::READABLE, move |w, fd, ev| {
            let _keep = &guard;
            s.lock().push((w, fd, ev));
        });
        assert_eq!(watch, Some(42));
        let (cb, opaque, ff) = APP.lock().handle.take().unwrap();
        cb.unwrap()(
            42,
            9,
            VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP,
            opaque as *mut c_void,
        );
        assert_eq!(*seen.lock(), [(42, 9, Events::READABLE | Events::HANGUP)]);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        ff.unwrap()(opaque as *mut c_void);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        event::update_handle(42, Events::WRITABLE);
        assert!(!event::remove_handle(42));
        assert!(event::remove_timeout(3));

        // When the application's add fails, the crate's callback is dropped
        // at once and the application is not expected to free it.
        APP.lock().next_result = -1;
        let guard = DropCount(dropped.clone());
        let timer = event::add_timeout(10, move |_| {
            let _keep = &guard;
        });
        assert_eq!(timer, None);
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
        assert_eq!(
            calls(),
            [
                "add_handle 9 1",
                "update_handle 42 2",
                "remove_timeout 3",
                "add_timeout 10"
            ]
        );

        // virEventRunDefaultImpl still runs the (empty) default loop: like
        // libvirt's, it waits for something that never comes.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let r = virEventRunDefaultImpl();
            let _ = tx.send(r);
        });
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    }
}

struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
