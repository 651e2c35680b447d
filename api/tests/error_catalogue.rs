//! The error catalogue (`jiebang_domain::codes`) and the code tables of `docs/api.md` list the
//! same codes with the same statuses: a code added to one and not the other fails here.

use jiebang_domain::codes::{Code, FieldCode};
use std::collections::{BTreeMap, BTreeSet};

/// The rows `| `code` | … |` of the table under `heading`, with their second column.
fn table(doc: &str, heading: &str) -> BTreeMap<String, String> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/api.md has no heading {heading:?}"));
    let mut rows = BTreeMap::new();
    let mut in_table = false;
    for line in doc[start..].lines().skip(1) {
        if line.starts_with('#') {
            break;
        }
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // one row may name two codes: `too_short` / `too_long`
        for code in cells[1].split('/').map(str::trim) {
            let Some(code) = code.strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
                continue; // the header row
            };
            if !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                rows.insert(code.to_owned(), cells.get(2).unwrap_or(&"").to_string());
            }
        }
    }
    rows
}

fn api_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap()
}

#[test]
fn the_problem_code_table_is_the_catalogue() {
    let documented = table(&api_md(), "### Top-level problem codes");
    let catalogue: BTreeMap<String, String> = Code::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.status().to_string()))
        .collect();
    same_codes(catalogue.keys(), documented.keys());
    for (code, status) in &catalogue {
        assert_eq!(&documented[code], status, "status of {code}");
    }
}

#[test]
fn the_field_code_table_is_the_catalogue() {
    let documented = table(&api_md(), "### Field-error codes");
    same_codes(FieldCode::ALL.iter().map(|c| c.as_str()), documented.keys());
}

/// Fails with the codes that only one side names.
fn same_codes<'a>(
    catalogue: impl IntoIterator<Item = impl AsRef<str>>,
    documented: impl IntoIterator<Item = &'a String>,
) {
    let catalogue: BTreeSet<String> = catalogue
        .into_iter()
        .map(|c| c.as_ref().to_owned())
        .collect();
    let documented: BTreeSet<String> = documented.into_iter().cloned().collect();
    let missing: Vec<_> = catalogue.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&catalogue).collect();
    assert!(
        missing.is_empty(),
        "in the catalogue, not in docs/api.md: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in docs/api.md, not in the catalogue: {extra:?}"
    );
}
