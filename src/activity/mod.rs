//! An activity's configuration as staff set it (by Deep Linking, on a first staff launch, or
//! later): the form, checked into a typed `crate::store::ActivityConfig`, and its saving.

pub mod form;

pub use form::ActivityForm;
