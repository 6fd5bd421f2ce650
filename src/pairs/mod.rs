//! A course's pairs as staff shape them: the engine's input for a module (`plan_input`), the
//! draft and its edits up to publication (`draft`), the pairing settings and the hierarchical
//! links staff upload (`settings`, `links_csv`), and the history of every change (`history`).

pub mod draft;
pub mod history;
pub mod links_csv;
pub mod plan_input;
pub mod settings;
