//! The course as every page and the pairing read it: its cached titles, settings,
//! configurations and published pairs (`cache`), its people with one display name, roles and
//! tags (`people`), the product's rules on top of LTI roles (`rules`), and the stored form of
//! a module's pair set (`pair_set`).

pub mod cache;
pub mod pair_set;
pub mod people;
pub mod rules;

pub use rules::may_still_manage;
