//! 统计仪表盘 (`/dashboard`, officials and admins): the programme's funnel, fiscal against
//! enterprise money (撬动比), breakdowns by 产业, by 盟市 and by organisation kind, and the
//! innovation consortia — each as a chart drawn in the page by ECharts (vendored, SVG renderer,
//! from numbers the server writes into the chart's data attributes), with the same numbers in a
//! table beside it and a CSV download (`/dashboard.csv?table=…`). A year (the year a challenge
//! was submitted for review, 北京时间) and an industry narrow every chart, table and CSV. All of
//! it is the API's own `funnel_report`, so the page shows exactly what
//! `GET /api/v1/stats/funnel` answers for the same filter.

use super::public::Choice;
use super::session::Visitor;
use super::{format, render, respond, Layout};
use crate::error::{ApiError, ApiResult};
use crate::handlers::stats::{csv_field, funnel_report, Breakdown, FunnelQuery, FunnelReport};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

/// One chart and its table.
pub struct Chart {
    /// `funnel`, `money`, `industry`, `region`, `kind`.
    pub key: &'static str,
    pub title: &'static str,
    /// What the chart shows, in words (its accessible name).
    pub summary: String,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// The chart's categories and series, as JSON for the chart script.
    pub labels: String,
    pub series: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    echarts: &'static str,
    charts: Vec<Chart>,
    leverage: String,
    consortia: Vec<(&'static str, i64)>,
    years: Vec<Choice>,
    industries: Vec<Choice>,
    /// The filter in words (`2026 年 · 新能源`), empty for the whole programme.
    filtered: String,
    /// The filter as a query string to carry into the CSV links (`&year=2026&industry=…`).
    filter_query: String,
}

/// The dashboard's filter: the query's year and industry.
#[derive(Debug, Default, Deserialize)]
pub struct FilterQuery {
    pub year: Option<String>,
    pub industry: Option<String>,
}

impl FilterQuery {
    fn api(&self) -> FunnelQuery {
        FunnelQuery {
            year: self.year.clone(),
            industry: self.industry.clone(),
        }
    }

    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    fn words(&self) -> String {
        let mut parts = Vec::new();
        if let Some(y) = Self::set(&self.year) {
            parts.push(format!("{y} 年"));
        }
        if let Some(i) = Self::set(&self.industry) {
            parts.push(i.to_owned());
        }
        parts.join(" · ")
    }

    fn query(&self) -> String {
        let mut out = String::new();
        for (k, v) in [("year", &self.year), ("industry", &self.industry)] {
            if let Some(v) = Self::set(v) {
                out.push_str(&format!("&{k}={}", super::urlencode(v)));
            }
        }
        out
    }
}

fn tables(r: &FunnelReport) -> Vec<Chart> {
    let f = &r.funnel;
    let steps = [
        ("提交审核", f.submitted),
        ("发布", f.published),
        ("有申报", f.with_bids),
        ("立项", f.awarded),
        ("签约", f.contracted),
        ("完成", f.completed),
    ];
    let mut out = vec![Chart {
        key: "funnel",
        title: "榜单漏斗",
        summary: format!(
            "榜单漏斗：{}",
            steps
                .iter()
                .map(|(n, v)| format!("{n} {v}"))
                .collect::<Vec<_>>()
                .join("，")
        ),
        head: vec!["阶段", "榜单数"],
        rows: steps
            .iter()
            .map(|(n, v)| vec![(*n).to_owned(), v.to_string()])
            .collect(),
        labels: json!(steps.iter().map(|s| s.0).collect::<Vec<_>>()).to_string(),
        series:
            json!([{"name": "榜单数", "values": steps.iter().map(|s| s.1).collect::<Vec<_>>()}])
                .to_string(),
    }];
    let wan = |y: i64| (y as f64 / 10_000.0 * 100.0).round() / 100.0;
    out.push(Chart {
        key: "money",
        title: "财政资金与企业出资（万元）",
        summary: format!(
            "已签约协议的财政资金 {} 万元、已拨付 {} 万元，企业出资 {} 万元、已到位 {} 万元",
            format::wan(r.fiscal_signed),
            format::wan(r.fiscal_paid),
            format::wan(r.enterprise_signed),
            format::wan(r.enterprise_paid)
        ),
        head: vec!["来源", "签约（万元）", "已拨付/到位（万元）"],
        rows: vec![
            vec![
                "财政资金".into(),
                format::wan(r.fiscal_signed),
                format::wan(r.fiscal_paid),
            ],
            vec![
                "企业出资".into(),
                format::wan(r.enterprise_signed),
                format::wan(r.enterprise_paid),
            ],
        ],
        labels: json!(["财政资金", "企业出资"]).to_string(),
        series: json!([
            {"name": "签约", "values": [wan(r.fiscal_signed), wan(r.enterprise_signed)]},
            {"name": "已拨付/到位", "values": [wan(r.fiscal_paid), wan(r.enterprise_paid)]},
        ])
        .to_string(),
    });
    for (key, title, list) in [
        ("industry", "按产业领域", &r.by_industry),
        ("region", "按盟市（发榜单位所在地）", &r.by_region),
        (
            "kind",
            "按机构类型（揭榜牵头单位）",
            &r.by_organization_kind,
        ),
    ] {
        out.push(breakdown(key, title, list));
    }
    out
}

fn breakdown(key: &'static str, title: &'static str, list: &[Breakdown]) -> Chart {
    let name = |b: &Breakdown| {
        if b.name.is_empty() {
            b.key.clone()
        } else {
            b.name.clone()
        }
    };
    Chart {
        key,
        title,
        summary: format!(
            "{title}：{}",
            list.iter()
                .map(|b| format!("{} 发布 {} 项、立项 {} 项", name(b), b.published, b.awarded))
                .collect::<Vec<_>>()
                .join("；")
        ),
        head: vec![
            "名称",
            "发布",
            "申报",
            "立项",
            "签约",
            "财政资金（万元）",
            "企业出资（万元）",
        ],
        rows: list
            .iter()
            .map(|b| {
                vec![
                    name(b),
                    b.published.to_string(),
                    b.bids.to_string(),
                    b.awarded.to_string(),
                    b.agreements_signed.to_string(),
                    format::wan(b.fiscal_signed),
                    format::wan(b.enterprise_signed),
                ]
            })
            .collect(),
        labels: json!(list.iter().map(name).collect::<Vec<_>>()).to_string(),
        series: json!([
            {"name": "发布", "values": list.iter().map(|b| b.published).collect::<Vec<_>>()},
            {"name": "立项", "values": list.iter().map(|b| b.awarded).collect::<Vec<_>>()},
        ])
        .to_string(),
    }
}

/// `GET /dashboard?year=&industry=`.
pub async fn dashboard(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<FilterQuery>,
) -> HttpResponse {
    let r = async {
        let report = funnel_report(&state, visitor.auth()?, &q.api()).await?;
        let c = &report.consortia;
        let this_year = jiebang_domain::challenge::beijing_year(state.now());
        let mut years = vec![Choice {
            value: String::new(),
            label: "全部年度".into(),
            selected: FilterQuery::set(&q.year).is_none(),
        }];
        years.extend((this_year - 5..=this_year).rev().map(|y| Choice {
            value: y.to_string(),
            label: format!("{y} 年"),
            selected: FilterQuery::set(&q.year) == Some(y.to_string().as_str()),
        }));
        let mut industries = vec![Choice {
            value: String::new(),
            label: "全部产业".into(),
            selected: FilterQuery::set(&q.industry).is_none(),
        }];
        industries.extend(state.rules.industries.iter().map(|i| Choice {
            value: i.clone(),
            label: i.clone(),
            selected: FilterQuery::set(&q.industry) == Some(i.as_str()),
        }));
        let page = DashboardPage {
            layout: Layout::new(&visitor, "统计仪表盘", "/dashboard"),
            echarts: super::assets::url("echarts.js"),
            leverage: report
                .leverage
                .map(|l| format!("{l:.2}"))
                .unwrap_or_else(|| "—".into()),
            consortia: vec![
                ("已备案联合体", c.filed),
                ("成员单位", c.members),
                ("国家级平台", c.national_platforms),
                ("自治区级平台", c.provincial_platforms),
                ("盟市级平台", c.regional_platforms),
            ],
            charts: tables(&report),
            years,
            industries,
            filtered: q.words(),
            filter_query: q.query(),
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    };
    respond(&visitor, r.await)
}

#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    pub table: String,
    pub year: Option<String>,
    pub industry: Option<String>,
}

/// `GET /exports/agreements.csv` and `/exports/ocds.json`: the API's exports (the agreements
/// as CSV, streamed; the OCDS release package) for a signed-in official or admin, answered by
/// the API's own handlers with the visitor's session instead of a bearer token.
pub async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    which: web::Path<String>,
) -> HttpResponse {
    let r = async {
        let auth = visitor.auth()?;
        match which.as_str() {
            "agreements.csv" => crate::handlers::stats::agreements_csv(state, auth).await,
            "ocds.json" => crate::handlers::stats::ocds(state, auth)
                .await
                .map(|mut r| {
                    r.headers_mut().insert(
                        header::CONTENT_DISPOSITION,
                        header::HeaderValue::from_static(
                            "attachment; filename=\"jiebang-ocds.json\"",
                        ),
                    );
                    r
                }),
            _ => Err(ApiError::not_found("导出 / export")),
        }
    };
    respond(&visitor, r.await)
}

/// `GET /dashboard.csv?table=funnel|money|industry|region|kind`: a chart's table as CSV (UTF-8
/// with a byte-order mark, which spreadsheet programmes need to read Chinese).
pub async fn csv(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<CsvQuery>,
) -> HttpResponse {
    let r: ApiResult<HttpResponse> = async {
        let filter = FunnelQuery {
            year: q.year.clone(),
            industry: q.industry.clone(),
        };
        let report = funnel_report(&state, visitor.auth()?, &filter).await?;
        let chart = tables(&report)
            .into_iter()
            .find(|c| c.key == q.table)
            .ok_or_else(|| ApiError::not_found("统计表 / table"))?;
        let mut out = String::from("\u{feff}");
        out.push_str(&chart.head.join(","));
        out.push_str("\r\n");
        for row in &chart.rows {
            out.push_str(
                &row.iter()
                    .map(|c| csv_field(&c.replace(',', "")))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
        }
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"jiebang-{}.csv\"", chart.key),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(out))
    }
    .await;
    respond(&visitor, r)
}
