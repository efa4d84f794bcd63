//! A task's default label: its function's path, and for a closure or an async block (whose type
//! name is `app::handler::{{closure}}`) the enclosing function and where the task was added,
//! `app::handler at src/app.rs:12`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::sync::OnceLock;

use parking_lot::Mutex;

/// What a closure's type name carries after its enclosing function's path.
const CLOSURE: &str = "::{{closure}}";

/// A call site: the type's name and the caller's location, both `'static`, by address.
type Site = (usize, usize);

thread_local! {
    /// The call site this thread labelled last, and its label: a handler adds from the same site
    /// request after request, and this answers it without searching the name or hashing.
    static LAST: Cell<Option<(Site, &'static str)>> = const { Cell::new(None) };
    /// This thread's labels so far, so that adding a task takes no shared lock.
    static SEEN: RefCell<HashMap<Site, &'static str>> = RefCell::new(HashMap::new());
}

/// Every label made, so that threads share one string per call site.
fn made() -> &'static Mutex<HashMap<Site, &'static str>> {
    static MADE: OnceLock<Mutex<HashMap<Site, &'static str>>> = OnceLock::new();
    MADE.get_or_init(Default::default)
}

/// The label of a task of type `name` added at `at`.
///
/// A function's path is its own label and costs nothing. A closure's label is made once per call
/// site and kept for the life of the process (a call site is code, so their number is bounded):
/// adding a task never allocates for its label after the first time at that site.
pub(crate) fn default_label(
    name: &'static str,
    at: &'static Location<'static>,
) -> Cow<'static, str> {
    let site = (name.as_ptr() as usize, std::ptr::from_ref(at) as usize);
    let last = LAST.try_with(Cell::get).ok().flatten();
    if let Some((_, label)) = last.filter(|(seen, _)| *seen == site) {
        return Cow::Borrowed(label);
    }
    let label = label_at(site, name, at);
    // Unset while the thread's locals are being destroyed: the next add labels again.
    let _ = LAST.try_with(|last| last.set(Some((site, label))));
    Cow::Borrowed(label)
}

/// [`default_label`] without the last site: a function's path, or the closure's label of `site`.
fn label_at(site: Site, name: &'static str, at: &'static Location<'static>) -> &'static str {
    let Some(end) = name.find(CLOSURE) else {
        return name;
    };
    SEEN.try_with(|seen| {
        *seen
            .borrow_mut()
            .entry(site)
            .or_insert_with(|| shared(site, &name[..end], at))
    })
    // A task added while the thread's locals are being destroyed: no cache, same label.
    .unwrap_or_else(|_| shared(site, &name[..end], at))
}

fn shared(site: Site, function: &str, at: &'static Location<'static>) -> &'static str {
    made().lock().entry(site).or_insert_with(|| {
        let label = format!("{function} at {}:{}", at.file(), at.line());
        Box::leak(label.into_boxed_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label_of<T>(_: &T, at: &'static Location<'static>) -> Cow<'static, str> {
        default_label(std::any::type_name::<T>(), at)
    }

    fn enclosing() -> (Cow<'static, str>, u32) {
        let closure = || ();
        let at = Location::caller();
        (label_of(&closure, at), at.line())
    }

    #[test]
    fn a_closure_is_labelled_with_its_function_and_where_it_was_added() {
        let (label, line) = enclosing();
        assert_eq!(
            label,
            format!("background_tasks::label::tests::enclosing at core/src/label.rs:{line}")
        );
    }

    #[test]
    fn a_function_keeps_its_path() {
        fn write_log() {}
        let label = label_of(&write_log, Location::caller());
        assert!(
            label.ends_with("tests::a_function_keeps_its_path::write_log"),
            "{label}"
        );
        assert!(matches!(label, Cow::Borrowed(_)));
    }

    fn elsewhere() -> (Cow<'static, str>, u32) {
        let closure = || ();
        let at = Location::caller();
        (label_of(&closure, at), at.line())
    }

    #[test]
    fn sites_added_from_in_turn_keep_their_own_labels() {
        fn write_log() {}
        for _ in 0..3 {
            let (here, line) = enclosing();
            assert!(here.ends_with(&format!("tests::enclosing at core/src/label.rs:{line}")));
            let (there, line) = elsewhere();
            assert!(there.ends_with(&format!("tests::elsewhere at core/src/label.rs:{line}")));
            assert!(label_of(&write_log, Location::caller()).ends_with("::write_log"));
        }
    }

    #[test]
    fn one_call_site_makes_its_label_once() {
        let (first, _) = enclosing();
        let (second, _) = enclosing();
        let from_another_thread = std::thread::spawn(|| enclosing().0).join().unwrap();
        assert!(std::ptr::eq(first.as_ptr(), second.as_ptr()));
        assert!(std::ptr::eq(first.as_ptr(), from_another_thread.as_ptr()));
    }
}
