//! Keyset paging: a cursor says where the next page of a task list starts, as
//! the sort key of the last task of the page before. Reading the next page then
//! costs that page (an index range from the key on), not every task before it
//! as an `offset` does, and a task created or changed meanwhile never makes the
//! next page skip or repeat another one.
//!
//! On the wire a cursor is opaque: base64url (no padding) of a small JSON
//! object. It carries its sort and direction (a cursor of one order means
//! nothing in another, so that is refused) and, for the due sort, the zone
//! offset the first page placed all-day tasks with, so every page of one walk
//! compares the same keys even if the offset changes meanwhile (a DST change).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::{SortField, SortOrder};

/// The longest cursor accepted (a title key of 200 characters is far below).
pub const CURSOR_MAX_CHARS: usize = 2048;

/// One value of a sort key: numbers for times, priorities and flags, text for
/// the lowered title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorValue {
    /// A number.
    Int(i64),
    /// A text.
    Text(String),
}

/// Where the next page of a list starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    /// The sort the cursor belongs to.
    pub sort: SortField,
    /// Its direction.
    pub order: SortOrder,
    /// The zone offset (milliseconds east of UTC) all-day tasks were placed with.
    pub zone_offset_ms: i64,
    /// The last task's sort key, one value per key column of the sort.
    pub key: Vec<CursorValue>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    s: String,
    o: String,
    #[serde(default)]
    z: i64,
    k: Vec<CursorValue>,
}

impl SortField {
    /// The sort's name in the query string.
    pub fn name(self) -> &'static str {
        match self {
            SortField::Created => "created",
            SortField::Updated => "updated",
            SortField::Due => "due",
            SortField::Priority => "priority",
            SortField::Title => "title",
        }
    }

    /// The key columns of this sort, in order; `true` where the value is text.
    /// The store selects and compares exactly these.
    pub fn key_is_text(self) -> &'static [bool] {
        match self {
            SortField::Created | SortField::Updated => &[false, false],
            SortField::Due => &[false, false, false],
            SortField::Priority => &[false, false, false, false],
            SortField::Title => &[true, false],
        }
    }
}

impl SortOrder {
    /// The direction's name in the query string.
    pub fn name(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl PageCursor {
    /// The cursor as it goes into a URL.
    pub fn encode(&self) -> String {
        let wire = Wire {
            s: self.sort.name().into(),
            o: self.order.name().into(),
            z: self.zone_offset_ms,
            k: self.key.clone(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
    }

    /// Reads a cursor made by [`PageCursor::encode`] for this sort and
    /// direction; the message says what is wrong with any other text.
    pub fn decode(text: &str, sort: SortField, order: SortOrder) -> Result<PageCursor, String> {
        const NOT_OURS: &str = "is not a cursor this server made: start again from the first page";
        if text.len() > CURSOR_MAX_CHARS {
            return Err(NOT_OURS.into());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| NOT_OURS.to_string())?;
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| NOT_OURS.to_string())?;
        if wire.s != sort.name() || wire.o != order.name() {
            return Err(format!(
                "belongs to sort={}&order={}, not sort={}&order={}: send it with the sort it came with",
                wire.s,
                wire.o,
                sort.name(),
                order.name()
            ));
        }
        let shape = sort.key_is_text();
        let fits = wire.k.len() == shape.len()
            && wire.k.iter().zip(shape).all(|(v, &text)| matches!(v, CursorValue::Text(_)) == text);
        // An offset beyond any zone's (±14 h) is not one the server made.
        if !fits || wire.z.abs() > 14 * 3_600_000 {
            return Err(NOT_OURS.into());
        }
        Ok(PageCursor { sort, order, zone_offset_ms: wire.z, key: wire.k })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(sort: SortField, order: SortOrder, key: Vec<CursorValue>) -> PageCursor {
        PageCursor { sort, order, zone_offset_ms: -3_600_000, key }
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_made() {
        let cases = [
            cursor(SortField::Created, SortOrder::Desc, vec![CursorValue::Int(1_796_000_000_000), CursorValue::Int(7)]),
            cursor(
                SortField::Due,
                SortOrder::Asc,
                vec![CursorValue::Int(0), CursorValue::Int(-86_400_000), CursorValue::Int(1)],
            ),
            cursor(
                SortField::Title,
                SortOrder::Asc,
                vec![CursorValue::Text("straße \"x\" 😀".into()), CursorValue::Int(3)],
            ),
        ];
        for c in cases {
            let text = c.encode();
            assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            assert_eq!(PageCursor::decode(&text, c.sort, c.order), Ok(c));
        }
    }

    #[test]
    fn a_cursor_of_another_order_or_shape_is_refused() {
        let c = cursor(SortField::Created, SortOrder::Desc, vec![CursorValue::Int(1), CursorValue::Int(2)]);
        let text = c.encode();
        let err = PageCursor::decode(&text, SortField::Created, SortOrder::Asc).unwrap_err();
        assert!(err.contains("sort=created&order=desc"), "{err}");
        assert!(PageCursor::decode(&text, SortField::Title, SortOrder::Desc).is_err());
        let wrong_shape = cursor(SortField::Title, SortOrder::Asc, vec![CursorValue::Int(1), CursorValue::Int(2)]);
        assert!(PageCursor::decode(&wrong_shape.encode(), SortField::Title, SortOrder::Asc).is_err());
        let far = PageCursor { zone_offset_ms: 15 * 3_600_000, ..c.clone() };
        assert!(PageCursor::decode(&far.encode(), SortField::Created, SortOrder::Desc).is_err());
        for junk in ["", "!!", "e30", &"A".repeat(CURSOR_MAX_CHARS + 1)] {
            assert!(PageCursor::decode(junk, SortField::Created, SortOrder::Desc).is_err(), "{junk}");
        }
    }
}
