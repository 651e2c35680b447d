//! Request extractors. `Json<T>` reads a JSON body with a size limit and turns every failure into
//! a problem: malformed JSON is 400 `malformed_json`; an unknown field, a missing field or a value
//! of the wrong type is 422 `validation_failed` naming the field; too large is 413.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use jiebang_domain::codes::Code;
use jiebang_domain::codes::FieldCode;
use jiebang_domain::{FieldError, Violations};
use serde::de::DeserializeOwned;

pub struct Json<T>(pub T);

fn too_large() -> ApiError {
    ApiError::with(
        Code::PayloadTooLarge,
        "请求内容过大 / the request body is too large",
    )
}

/// Maps a deserialisation error to the problem a client should see.
pub fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::with(Code::MalformedJson,
            format!("请求体不是合法的 JSON（第 {} 行第 {} 列）/ the body is not valid JSON (line {}, column {})",
                inner.line(), inner.column(), inner.line(), inner.column())),
        Category::Data => {
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            // a wrong type of the whole body (an array for an object) is reported on `body`
            let base = if path == "." { String::new() } else { path };
            let base = if base.is_empty() && !msg.starts_with("unknown field") && !msg.starts_with("missing field") {
                "body".to_owned()
            } else {
                base
            };

            let named = msg.split('`').nth(1).unwrap_or("").to_owned();
            let join = |b: &str, n: &str| if b.is_empty() { n.to_owned() } else { format!("{b}.{n}") };
            let (field, code, message) = if msg.starts_with("unknown field") {
                // the path already ends with the unknown field's name
                (if base.is_empty() { named.clone() } else { base }, FieldCode::UnknownField, format!("不允许的字段 / unknown field: {named}"))
            } else if msg.starts_with("missing field") {
                (join(&base, &named), FieldCode::Required, "缺少必填字段 / this field is required".to_owned())
            } else if msg.starts_with("unknown variant") {
                (base, FieldCode::InvalidValue, format!("取值不在允许范围内 / {msg}"))
            } else {
                (base, FieldCode::InvalidType, format!("字段类型或取值错误 / {msg}"))
            };
            ApiError::validation(Violations(vec![FieldError::new(field, code, message)]))
        }
    }
}

/// Parses bytes as `T`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // every request body is an object; serde would also take a struct's fields from an array
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::field(
            "body",
            FieldCode::InvalidType,
            "请求体应为 JSON 对象 / the body must be a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(json_error)?;
    de.end().map_err(|e| {
        ApiError::with(
            Code::MalformedJson,
            format!("JSON 之后有多余内容 / trailing characters after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<crate::state::AppState>>()
            .map(|s| s.config.max_body_bytes)
            .unwrap_or(256 * 1024);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|v| {
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            if !content_type_ok {
                return Err(ApiError::with(Code::UnsupportedMediaType,
                    "请求体须为 JSON（Content-Type: application/json）/ send the body as application/json"));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::with(
                        Code::MalformedBody,
                        "请求体读取失败 / the body could not be read",
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(Json)
        })
    }
}

/// The query string, parsed like a body: unknown parameters and bad values are 422 naming them.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = serde_urlencoded_value(req.query_string())
            .and_then(|v| serde_path_to_error::deserialize(v).map_err(json_error));

        std::future::ready(result.map(Query))
    }
}

/// Turns `a=1&b=x` into a JSON object of strings, so that query structs (all of whose fields are
/// strings, parsed by the handler into field errors) reject unknown parameters like bodies do.
fn serde_urlencoded_value(qs: &str) -> Result<serde_json::Value, ApiError> {
    let mut map = serde_json::Map::new();
    for (k, v) in web::Query::<Vec<(String, String)>>::from_query(qs)
        .map_err(|_| {
            ApiError::field(
                "query",
                FieldCode::InvalidQuery,
                "查询字符串格式错误 / malformed query string",
            )
        })?
        .into_inner()
    {
        if map
            .insert(k.clone(), serde_json::Value::String(v))
            .is_some()
        {
            return Err(ApiError::field(
                &k,
                FieldCode::DuplicateParameter,
                "查询参数重复 / the parameter is given twice",
            ));
        }
    }
    Ok(serde_json::Value::Object(map))
}
