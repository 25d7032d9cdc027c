//! Skill discovery (propose → practise → distil → test and repair → store) and the skill library.
//!
//! Skills are Python programs that run in `hone_sandbox` and reach an environment only through
//! granted host calls. Not built yet: see the skill-discovery issue.
