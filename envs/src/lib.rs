//! Environments for hone agents: the household world (ALFWorld-compatible), the web (WebArena
//! action space on headless Chromium) and the shell (InterCode-Bash-style tasks in bubblewrap).
//!
//! Each implements `hone_core::Environment`; an environment knows nothing of models.
//! Not built yet: see the household, web and shell issues.
