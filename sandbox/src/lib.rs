//! Runs model-written Python and JavaScript in wasmtime (being built).
