//! The API contract under review: `/openapi.json` as generated must equal the committed
//! `docs/openapi.json`. A change to any handler's annotations, a view or a request type shows as
//! a diff of that file in review. After an intended change, refresh it with
//! `UPDATE_OPENAPI=1 cargo test --test openapi_snapshot`.

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let current = jiebang_api::openapi::document() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != current {
        let first = committed
            .lines()
            .zip(current.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or(committed.lines().count().min(current.lines().count()) + 1);
        panic!(
            "docs/openapi.json differs from the generated document from line {first}; review the \
             change and refresh the snapshot with `UPDATE_OPENAPI=1 cargo test --test openapi_snapshot`"
        );
    }
}
