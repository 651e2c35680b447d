//! `jiebang demo`: fills an empty database with a believable programme — platform staff, Inner
//! Mongolian enterprises, universities and institutes (fictitious names, valid credit and region
//! codes) and challenges in several states with real 榜单 titles — so that a first look shows a
//! living platform. Every account's password is [`PASSWORD`].

use crate::accounts::{insert_user, NewAccount};
use crate::audit::{self, Actor};
use crate::auth::hashing::hash_blocking;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Duration, Utc};
use jiebang_db::challenges::{NewChallenge, StatusChange, TermsRow};
use jiebang_db::models::NewOrganization;
use jiebang_db::{Database, DbConnection};
use jiebang_domain::challenge::{self, ChallengeStatus, Rules, TermsInput};
use jiebang_domain::{Email, Role};

/// The password of every demo account.
pub const PASSWORD: &str = "Jiebang-Demo-2026";

/// Demo accounts: (e-mail, role, name, organisation key).
pub const ACCOUNTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("admin@demo.jiebang.cn", "admin", "平台管理员", None),
    (
        "official@demo.jiebang.cn",
        "official",
        "池处长（科技厅战略规划处）",
        None,
    ),
    (
        "expert.hydrogen@demo.jiebang.cn",
        "expert",
        "刘教授（氢能）",
        Some("energy_institute"),
    ),
    (
        "expert.breeding@demo.jiebang.cn",
        "expert",
        "王研究员（畜牧育种）",
        None,
    ),
    (
        "hydrogen@demo.jiebang.cn",
        "org_admin",
        "张经理",
        Some("hydrogen"),
    ),
    (
        "cattle@demo.jiebang.cn",
        "org_admin",
        "巴特尔",
        Some("cattle"),
    ),
    (
        "dairy@demo.jiebang.cn",
        "org_admin",
        "赵总工",
        Some("dairy"),
    ),
    (
        "rare-earth@demo.jiebang.cn",
        "org_admin",
        "李总工",
        Some("rare_earth"),
    ),
    (
        "mining@demo.jiebang.cn",
        "org_admin",
        "孙主任",
        Some("mining"),
    ),
    (
        "university@demo.jiebang.cn",
        "org_admin",
        "乌云教授",
        Some("university"),
    ),
    (
        "institute@demo.jiebang.cn",
        "org_admin",
        "高研究员",
        Some("energy_institute"),
    ),
    (
        "agri@demo.jiebang.cn",
        "org_admin",
        "其其格研究员",
        Some("agri_academy"),
    ),
];

/// Organisations: (key, name, kind, region, registration authority + category, verified).
const ORGANIZATIONS: &[(&str, &str, &str, &str, &str, bool)] = &[
    (
        "hydrogen",
        "内蒙古草原氢能装备有限公司",
        "enterprise",
        "150202",
        "91",
        true,
    ),
    (
        "cattle",
        "锡林郭勒盟安格斯肉牛育种有限公司",
        "enterprise",
        "152502",
        "91",
        true,
    ),
    (
        "dairy",
        "呼和浩特市乳业创新发展有限公司",
        "enterprise",
        "150105",
        "91",
        true,
    ),
    (
        "rare_earth",
        "包头稀土新材料科技有限公司",
        "enterprise",
        "150207",
        "91",
        true,
    ),
    (
        "mining",
        "鄂尔多斯市智能矿山装备有限公司",
        "enterprise",
        "150602",
        "91",
        true,
    ),
    (
        "university",
        "内蒙古草原大学（示例）",
        "university",
        "150102",
        "12",
        true,
    ),
    (
        "energy_institute",
        "内蒙古能源技术研究院（示例）",
        "institute",
        "150105",
        "12",
        true,
    ),
    (
        "agri_academy",
        "内蒙古农牧业科学研究院（示例）",
        "institute",
        "150104",
        "12",
        false,
    ),
];

struct ChallengeSpec {
    publisher: &'static str,
    title: &'static str,
    industry: &'static str,
    chain: &'static str,
    problem: &'static str,
    kpis: &'static [(&'static str, &'static str, &'static str)],
    enterprise: i64,
    fiscal: i64,
    max_winners: i64,
    consortium: bool,
    /// Days from now to the bidding deadline (negative: already passed).
    deadline_days: i64,
    status: ChallengeStatus,
    directed_to: Option<&'static str>,
}

const CHALLENGES: &[ChallengeSpec] = &[
    ChallengeSpec {
        publisher: "hydrogen",
        title: "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用",
        industry: "新能源",
        chain: "氢能",
        problem: "针对风光发电功率大范围、高频次波动的特点，研制千标方级碱性电解水制氢装备，突破宽功率适应、快速启停与多槽协同控制技术，在鄂尔多斯风光制氢一体化项目中开展示范应用。",
        kpis: &[("单槽产氢量", "≥1000", "Nm³/h"), ("功率调节范围", "20%–110%", "额定功率"), ("直流电耗", "≤4.3", "kWh/Nm³")],
        enterprise: 30_000_000,
        fiscal: 10_000_000,
        max_winners: 2,
        consortium: true,
        deadline_days: 30,
        status: ChallengeStatus::Published,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "cattle",
        title: "内蒙古地区肉牛核心种质构建与新品种培育",
        industry: "种业",
        chain: "肉牛",
        problem: "围绕我区肉牛产业种源依赖进口的问题，开展肉牛核心种质资源挖掘与评价，建立基因组选择育种体系，培育适应草原牧区的肉牛新品种（系），提高繁殖效率与产肉性能。",
        kpis: &[("核心育种群规模", "≥2000", "头"), ("新品种（系）", "≥1", "个"), ("日增重提高", "≥10", "%")],
        enterprise: 16_000_000,
        fiscal: 8_000_000,
        max_winners: 1,
        consortium: true,
        deadline_days: 21,
        status: ChallengeStatus::Published,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "dairy",
        title: "高产优质苜蓿新品种选育与草产品加工关键技术",
        industry: "种业",
        chain: "饲草",
        problem: "针对我区苜蓿单产低、越冬率不稳定、草产品品质参差的问题，选育耐寒耐旱高产苜蓿新品种，突破苜蓿青贮与草产品加工关键技术，保障奶业优质饲草供给。",
        kpis: &[("干草产量", "≥1000", "kg/亩"), ("越冬率", "≥90", "%"), ("粗蛋白含量", "≥20", "%")],
        enterprise: 8_000_000,
        fiscal: 4_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: 14,
        status: ChallengeStatus::Published,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "rare_earth",
        title: "高矫顽力低重稀土烧结钕铁硼永磁材料制备关键技术",
        industry: "稀土",
        chain: "稀土永磁",
        problem: "面向新能源汽车与风电电机需求，研究晶界扩散与组织调控技术，降低重稀土用量的同时提高烧结钕铁硼磁体矫顽力和温度稳定性，形成批量化制备工艺。",
        kpis: &[("内禀矫顽力", "≥25", "kOe"), ("重稀土用量降低", "≥30", "%")],
        enterprise: 12_000_000,
        fiscal: 6_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: -3,
        status: ChallengeStatus::Evaluating,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "mining",
        title: "大型露天煤矿无人驾驶矿用卡车编组运行关键技术",
        industry: "装备制造",
        chain: "智能矿山",
        problem: "针对露天煤矿运输环节用工多、安全风险高的问题，研发矿用卡车无人驾驶感知、决策与编组协同调度技术，在鄂尔多斯露天煤矿实现常态化编组运行。",
        kpis: &[("编组规模", "≥20", "台"), ("运输效率", "≥人工驾驶的95", "%")],
        enterprise: 20_000_000,
        fiscal: 5_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: 40,
        status: ChallengeStatus::Published,
        directed_to: Some("energy_institute"),
    },
    ChallengeSpec {
        publisher: "dairy",
        title: "蒙药材道地性评价与质量标准体系构建",
        industry: "中医药(蒙医药)",
        chain: "蒙药材",
        problem: "围绕蒙药材品种混杂、质量标准缺失的问题，开展道地蒙药材资源普查与道地性评价，建立指纹图谱与质量标准体系，支撑蒙药产业高质量发展。",
        kpis: &[("质量标准", "≥10", "项"), ("道地药材品种", "≥5", "个")],
        enterprise: 4_000_000,
        fiscal: 2_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: 45,
        status: ChallengeStatus::PendingReview,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "mining",
        title: "煤基固废高值化利用与建材化关键技术",
        industry: "现代煤化工",
        chain: "煤化工固废",
        problem: "针对煤化工气化渣、粉煤灰等大宗固废堆存量大、利用率低的问题，研发固废高值化利用与建材化关键技术并建设示范生产线。",
        kpis: &[("固废综合利用率", "≥80", "%")],
        enterprise: 6_000_000,
        fiscal: 3_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: 60,
        status: ChallengeStatus::Draft,
        directed_to: None,
    },
    ChallengeSpec {
        publisher: "hydrogen",
        title: "退役光伏组件高效回收与单晶硅材料再利用技术",
        industry: "新能源",
        chain: "光伏",
        problem: "针对退役光伏组件规模快速增长的问题，研发组件无损拆解、单晶硅片提纯再利用与银铝回收技术，形成回收示范线。",
        kpis: &[("材料回收率", "≥95", "%")],
        enterprise: 6_000_000,
        fiscal: 3_000_000,
        max_winners: 1,
        consortium: false,
        deadline_days: 20,
        status: ChallengeStatus::Cancelled,
        directed_to: None,
    },
];

fn credit_code(prefix: &str, region: &str, n: usize) -> String {
    let first17 = format!("{prefix}{region}MA{:06}Y", 130_000 + n * 7919);
    let check =
        jiebang_domain::credit_code::check_character(first17.as_bytes()).expect("valid characters");
    format!("{first17}{check}")
}

/// Fills `db` (which must have no organisations yet). Returns a summary for the console.
pub fn run(db: &Database, rules: &Rules) -> Result<String, String> {
    let now = Utc::now();
    let hash = hash_blocking(PASSWORD);
    db.write(|conn| fill(conn, rules, now, &hash))
        .map_err(|e: ApiError| format!("{}: {}", e.code, e.detail))
}

fn fill(
    conn: &mut DbConnection,
    rules: &Rules,
    now: DateTime<Utc>,
    hash: &str,
) -> ApiResult<String> {
    use jiebang_db::diesel::prelude::*;
    let existing: i64 = jiebang_db::schema::organizations::table
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Err(ApiError::conflict("not_empty", "数据库已有数据；演示数据只写入空数据库 / the database is not empty; demo data fills only an empty database"));
    }
    let actor = Actor::system();
    let mut org_ids = std::collections::HashMap::new();
    for (i, (key, name, kind, region, prefix, verified)) in ORGANIZATIONS.iter().enumerate() {
        let id = jiebang_db::new_id();
        let org = NewOrganization {
            id: id.clone(),
            name: (*name).into(),
            kind: (*kind).into(),
            credit_code: credit_code(prefix, region, i),
            region_code: (*region).into(),
            status: "unverified".into(),
            description: String::new(),
            website: String::new(),
            created_at: (now - Duration::days(90)).naive_utc(),
            updated_at: (now - Duration::days(90)).naive_utc(),
        };
        jiebang_db::organizations::insert(conn, &org)?;
        if *verified {
            jiebang_db::organizations::verify(
                conn,
                &id,
                "demo",
                (now - Duration::days(80)).naive_utc(),
            )?;
        }
        audit::record(
            conn,
            &actor,
            now,
            "organization",
            &id,
            "demo_seed",
            None::<&()>,
            Some(&org.name),
            None,
        )?;
        org_ids.insert(*key, id);
    }
    let mut user_ids = std::collections::HashMap::new();
    for (email, role, name, org) in ACCOUNTS {
        let role = Role::parse(role).expect("demo roles");
        let user = insert_user(
            conn,
            NewAccount {
                email: Email::parse(email).expect("demo e-mail"),
                name: (*name).into(),
                role,
                organization_id: org.map(|k| org_ids[k].clone()),
                password_hash: hash.to_owned(),
            },
            now,
        )?;
        if let Some(k) = org {
            user_ids.entry(*k).or_insert(user.id.clone());
        }
    }
    for (n, spec) in CHALLENGES.iter().enumerate() {
        // passed deadlines were published in the past: the terms are validated as of then
        let deadline =
            challenge::to_second(now + Duration::days(spec.deadline_days) + Duration::hours(9));
        let created = deadline - Duration::days(45);
        let published = created + Duration::days(3);
        let input = TermsInput {
            title: spec.title.into(),
            kind: "tech_breakthrough".into(),
            mode: if spec.directed_to.is_some() {
                "directed".into()
            } else {
                "open".into()
            },
            industry: spec.industry.into(),
            industry_chain: spec.chain.into(),
            problem: spec.problem.into(),
            kpis: spec
                .kpis
                .iter()
                .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
                .collect(),
            expected_outcomes: "形成样机或新品种、示范应用与知识产权成果，完成第三方测试评价。"
                .into(),
            duration_months: 36,
            enterprise_funds: spec.enterprise,
            fiscal_support: spec.fiscal,
            max_winners: spec.max_winners,
            consortium_required: spec.consortium,
            max_members: 5,
            min_in_region_percent: if spec.consortium { 60 } else { 0 },
            chief_scientist_required: spec.consortium,
            ip_ownership: "shared".into(),
            bidding_deadline: deadline,
            questions_deadline: deadline - Duration::days(7),
            contact_name: "项目联系人".into(),
            contact_phone: format!("0471-66{:05}", 10_000 + n),
            contact_email: format!("contact{n}@demo.jiebang.cn"),
            invited_organizations: spec
                .directed_to
                .map(|k| vec![org_ids[k].clone()])
                .unwrap_or_default(),
        };
        let terms = challenge::validate(
            &input,
            &Rules {
                min_bidding_hours: 0,
                ..rules.clone()
            },
            created,
            None,
        )
        .map_err(|v| ApiError::internal(format!("demo challenge {n} invalid: {v:?}")))?;
        let id = jiebang_db::new_id();
        let publisher_org = &org_ids[spec.publisher];
        jiebang_db::challenges::insert(
            conn,
            &NewChallenge {
                id: id.clone(),
                organization_id: publisher_org.clone(),
                created_by: user_ids[spec.publisher].clone(),
                status: "draft".into(),
                region_code: ORGANIZATIONS
                    .iter()
                    .find(|o| o.0 == spec.publisher)
                    .expect("publisher")
                    .3
                    .into(),
                terms: TermsRow::from_terms(&terms),
                version: 1,
                created_at: created.naive_utc(),
                updated_at: created.naive_utc(),
            },
            &terms.invited_organizations,
        )?;
        let was_published = !matches!(
            spec.status,
            ChallengeStatus::Draft | ChallengeStatus::PendingReview
        );
        let change = StatusChange {
            status: Some(spec.status.as_str().into()),
            submitted_at: (spec.status != ChallengeStatus::Draft)
                .then(|| (created + Duration::days(1)).naive_utc()),
            published_at: was_published.then(|| published.naive_utc()),
            closed_at: (spec.status == ChallengeStatus::Evaluating).then(|| deadline.naive_utc()),
            cancel_reason: (spec.status == ChallengeStatus::Cancelled)
                .then(|| "企业技术路线调整，撤销榜单".into()),
            ..Default::default()
        };
        jiebang_db::challenges::change_status(conn, &id, "draft", &change, now.naive_utc())?;
        audit::record(
            conn,
            &actor,
            now,
            "challenge",
            &id,
            "demo_seed",
            None::<&()>,
            Some(&spec.status.as_str()),
            None,
        )?;
    }
    Ok(format!(
        "demo data: {} organisations, {} accounts (password {PASSWORD}), {} challenges",
        ORGANIZATIONS.len(),
        ACCOUNTS.len(),
        CHALLENGES.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_credit_codes_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for (i, o) in ORGANIZATIONS.iter().enumerate() {
            let code = credit_code(o.4, o.3, i);
            jiebang_domain::CreditCode::parse(&code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
            jiebang_domain::RegionCode::parse(o.3).unwrap();
            assert!(seen.insert(code));
        }
    }

    #[test]
    fn demo_passwords_pass_the_policy() {
        for (email, _, name, _) in ACCOUNTS {
            jiebang_domain::Password::parse(PASSWORD, &[email, name]).unwrap();
        }
    }
}
