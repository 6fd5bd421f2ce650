//! The CSV a staff export downloads: rows in, bytes out. Every cell is quoted, and a cell a
//! spreadsheet would read as a formula gets a leading `'` (CSV injection).

/// A value as a spreadsheet must read it: with a leading `'` when it would otherwise be read
/// as a formula (`=`, `+`, `-`, `@`, tab, carriage return).
fn formula_guard(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// The rows as CSV (RFC 4180 by the `csv` crate): every cell quoted, quotes doubled, guarded
/// against formulas, each row ended by CRLF.
pub fn write(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        let written = out.write_record(row.iter().map(|c| formula_guard(c).into_owned()));
        // To memory, from strings: nothing can fail.
        debug_assert!(written.is_ok(), "a CSV row written to memory: {written:?}");
    }
    out.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        let check = |v: &str, expected: &str| {
            let bytes = write(&[vec![v.to_string()]]);
            assert_eq!(String::from_utf8(bytes).unwrap(), format!("{expected}\r\n"));
        };
        check("Ana", "\"Ana\"");
        check("=SUM(A1)", "\"'=SUM(A1)\"");
        check("+33 6", "\"'+33 6\"");
        check("-1", "\"'-1\"");
        check("@cmd", "\"'@cmd\"");
        check("\tx", "\"'\tx\"");
        check("\rx", "\"'\rx\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check("a, b", "\"a, b\"");
        check("", "\"\"");
        check("x\r\ny", "\"x\r\ny\"");
    }

    #[test]
    fn rows_end_with_crlf() {
        let rows = vec![
            vec!["Name".to_string(), "Module".to_string()],
            vec!["Ana".to_string(), "=1".to_string()],
        ];
        assert_eq!(
            String::from_utf8(write(&rows)).unwrap(),
            "\"Name\",\"Module\"\r\n\"Ana\",\"'=1\"\r\n"
        );
        assert!(write(&[]).is_empty());
    }
}
