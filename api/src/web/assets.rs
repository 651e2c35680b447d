//! Static files of the web interface (样式与脚本), compiled into the binary and served under
//! content-hashed URLs (`/static/app.3f9c0e1a2b.css`) with a year's `immutable` caching: a new
//! build that changes a file changes its URL, so no browser keeps a stale copy. Nothing is loaded
//! from another host.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
    url: String,
}

macro_rules! asset {
    ($name:literal, $path:literal, $ct:literal) => {
        ($name, include_bytes!($path).as_slice(), $ct)
    };
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        asset!(
            "pico.css",
            "../../static/vendor/pico/pico.min.css",
            "text/css; charset=utf-8"
        ),
        asset!("app.css", "../../static/app.css", "text/css; charset=utf-8"),
        asset!(
            "echarts.js",
            "../../static/vendor/echarts/echarts.common.min.js",
            "text/javascript; charset=utf-8"
        ),
        asset!(
            "htmx.js",
            "../../static/vendor/htmx/htmx.min.js",
            "text/javascript; charset=utf-8"
        ),
        asset!(
            "app.js",
            "../../static/app.js",
            "text/javascript; charset=utf-8"
        ),
    ]
    .into_iter()
    .map(|(name, bytes, content_type)| {
        let digest = hex::encode(&Sha256::digest(bytes)[..5]);
        let (stem, ext) = name
            .rsplit_once('.')
            .expect("asset names have an extension");
        Asset {
            name,
            bytes,
            content_type,
            url: format!("/static/{stem}.{digest}.{ext}"),
        }
    })
    .collect()
});

/// The hashed URL of the asset `name` (`app.css`, `app.js`, `pico.css`, `htmx.js`).
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.url.as_str())
        .unwrap_or_else(|| panic!("unknown asset {name}"))
}

/// `GET /static/{file}`: the asset whose hashed URL this is, cached for a year; any other name
/// (an old hash included) is 404.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let path = format!("/static/{}", file.into_inner());
    match ASSETS.iter().find(|a| a.url == path) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(a.bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("未找到 / not found"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_the_content_hash() {
        let css = super::url("app.css");
        assert!(css.starts_with("/static/app.") && css.ends_with(".css"));
        assert_eq!(css.len(), "/static/app.".len() + 10 + ".css".len());
        assert_ne!(super::url("pico.css"), super::url("app.css"));
    }
}
