//! What one member may read and write of their session, and the fields shown under those
//! rights: the method decides (`coaching::may_read`, `coaching::may_write`), this only asks.

use std::collections::HashMap;

use super::fields::{Field, field_view};
use crate::coaching::{self, FieldRef, Seat, Session};
use crate::i18n::Locale;
use crate::realtime::live::field_id;
use crate::store::FieldRow;

/// A member reading their session: their seat, the texts they may read, the members' names
/// in seat order, and their language.
pub struct Viewer<'a> {
    pub session: &'a Session,
    pub seat: Seat,
    pub rows: &'a HashMap<String, FieldRow>,
    pub names: &'a [String],
    pub l: Locale,
}

impl Viewer<'_> {
    /// The method lets this member read the field.
    pub fn readable(&self, f: &FieldRef) -> bool {
        coaching::may_read(self.session, self.seat, f)
    }

    /// The method lets this member write the field now.
    pub fn writable(&self, f: &FieldRef) -> bool {
        coaching::may_write(self.session, self.seat, f).is_ok()
    }

    /// Something is written in the field (and this member may read it: `rows` holds only
    /// what they may).
    pub fn written(&self, f: &FieldRef) -> bool {
        self.rows.contains_key(&field_id(f))
    }

    pub fn name_of(&self, seat: Seat) -> String {
        self.names.get(seat.0 as usize).cloned().unwrap_or_default()
    }

    /// A field as this member sees it: editable when they may write it, signed by its
    /// author when that is someone else.
    pub fn view(&self, f: FieldRef, author: Option<Seat>) -> Field {
        let author = author.filter(|a| *a != self.seat).map(|a| self.name_of(a));
        field_view(f, self.rows, self.writable(&f), author.as_deref(), self.l)
    }

    /// A field shown read only and unsigned (a summary of what was agreed).
    pub fn read_only(&self, f: FieldRef) -> Field {
        field_view(f, self.rows, false, None, self.l)
    }
}
