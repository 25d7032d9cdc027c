//! Host functions a run grants to its guest, reached through the host-call channel.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

type HostFnBox = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// The functions one run may call, by dotted name (`env.step`, `llm.ask`, `finish`).
///
/// The names are the grant list: a guest call to any other name is refused, and the guest sees
/// an exception. Each function takes the call's arguments as JSON (an array of the positional
/// arguments; an object when keyword arguments were given, holding a call's positional arguments
/// too, if any, under `"0"`, `"1"`, …) and returns a JSON value, or
/// an error message that the guest receives as a `HostError` exception.
///
/// Functions run while the guest waits, on tokio's blocking pool (no async runtime entered on
/// that thread), so they may block, for example on `tokio::runtime::Handle::block_on`. A panic
/// is caught and reported to the guest as an error. The run's time-out holds during a call: a
/// function that never returns ends the run at its time-out (the call's thread is left to
/// finish on its own).
///
/// ```
/// use hone_sandbox::HostFunctions;
/// use serde_json::json;
/// let host = HostFunctions::new()
///     .grant("env.observe", |_| Ok(json!("a room")))
///     .grant("env.step", |args| Ok(json!({ "echo": args[0] })));
/// assert_eq!(host.names().collect::<Vec<_>>(), ["env.observe", "env.step"]);
/// ```
#[derive(Clone, Default)]
pub struct HostFunctions {
    fns: BTreeMap<String, HostFnBox>,
}

impl fmt::Debug for HostFunctions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.fns.keys()).finish()
    }
}

impl HostFunctions {
    /// An empty grant list: the guest can call nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants `name` (identifiers joined by dots), served by `f`. Builder form of
    /// [`HostFunctions::insert`]; names are validated when a run starts.
    pub fn grant<F>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.insert(name, f);
        self
    }

    /// Grants `name`, served by `f`, replacing any earlier grant of that name.
    pub fn insert<F>(&mut self, name: impl Into<String>, f: F)
    where
        F: Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.fns.insert(name.into(), Arc::new(f));
    }

    /// Withdraws the grant of `name`, if any (builder form).
    pub fn revoke(mut self, name: &str) -> Self {
        self.fns.remove(name);
        self
    }

    /// Adds every grant of `other` (its functions win on a name clash).
    pub fn extend(&mut self, other: HostFunctions) {
        self.fns.extend(other.fns);
    }

    /// The granted names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fns.keys().map(String::as_str)
    }

    /// True when nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.fns.is_empty()
    }

    /// The first name that is not `ident(.ident)*`, if any.
    pub(crate) fn invalid_name(&self) -> Option<&str> {
        self.names().find(|n| !valid_name(n))
    }

    /// Runs a call: refuses names outside the grant list, runs the function on the blocking
    /// pool (never on the runtime's own threads), isolates panics.
    pub(crate) async fn dispatch(&self, name: &str, args: Value) -> Result<Value, String> {
        let Some(f) = self.fns.get(name) else {
            return Err(format!(
                "host function {name:?} is not granted for this run"
            ));
        };
        let f = Arc::clone(f);
        tokio::task::spawn_blocking(move || f(args))
            .await
            .unwrap_or_else(|_| Err(format!("host function {name:?} panicked")))
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
                && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("env.step"));
        assert!(valid_name("finish"));
        assert!(!valid_name("env..step"));
        assert!(!valid_name("1env"));
        assert!(!valid_name("env.step()"));
        assert!(!valid_name(""));
    }

    #[tokio::test]
    async fn dispatch_refuses_and_survives_panics() {
        let host = HostFunctions::new()
            .grant("ok", Ok)
            .grant("boom", |_| panic!("host function bug"));
        assert_eq!(host.dispatch("ok", json!([1])).await, Ok(json!([1])));
        assert!(host
            .dispatch("nope", json!([]))
            .await
            .unwrap_err()
            .contains("not granted"));
        assert!(host
            .dispatch("boom", json!([]))
            .await
            .unwrap_err()
            .contains("panicked"));
    }
}
