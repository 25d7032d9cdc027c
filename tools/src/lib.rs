//! Tools for hone agents (being built).
