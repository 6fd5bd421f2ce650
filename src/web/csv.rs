//! The CSV a staff export downloads: rows in, bytes out. Every cell is quoted, and a cell a
//! spreadsheet would read as a formula gets a leading `'` (CSV injection).

/// A CSV cell: quoted, quotes doubled, and a leading `'` when a spreadsheet would read it
/// as a formula (`=`, `+`, `-`, `@`, tab, carriage return).
pub fn csv_cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The rows as CSV: cells separated by commas, each row ended by CRLF.
pub fn write(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for row in rows {
        out.push_str(
            &row.iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        let check = |v: &str, expected: &str| assert_eq!(csv_cell(v), expected);
        check("Ana", "\"Ana\"");
        check("=SUM(A1)", "\"'=SUM(A1)\"");
        check("+33 6", "\"'+33 6\"");
        check("-1", "\"'-1\"");
        check("@cmd", "\"'@cmd\"");
        check("\tx", "\"'\tx\"");
        check("\rx", "\"'\rx\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check("a, b", "\"a, b\"");
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
