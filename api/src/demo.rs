//! `jiebang demo`: fills an empty database with a believable programme — platform staff, Inner
//! Mongolian enterprises, universities and institutes (fictitious names, valid credit and region
//! codes) and challenges in several states with real 榜单 titles — so that a first look shows a
//! living platform. Every account's password is [`PASSWORD`].

use crate::accounts::{insert_user, NewAccount};
use crate::audit::{self, Actor};
use crate::auth::hashing::hash_blocking;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Duration, Utc};
use jiebang_application::signing::{countersign_registration, micros, sign_terms, Keyring};
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
pub fn run(db: &Database, rules: &Rules, keys: &Keyring) -> Result<String, String> {
    let now = Utc::now();
    let hash = hash_blocking(PASSWORD);
    db.write(|conn| fill(conn, rules, keys, now, &hash))
        .map_err(|e: ApiError| format!("{}: {}", e.code, e.detail))
}

fn fill(
    conn: &mut DbConnection,
    rules: &Rules,
    keys: &Keyring,
    now: DateTime<Utc>,
    hash: &str,
) -> ApiResult<String> {
    use jiebang_db::diesel::prelude::*;
    let existing: i64 = jiebang_db::schema::organizations::table
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Err(ApiError::with(jiebang_domain::Code::NotEmpty, "数据库已有数据；演示数据只写入空数据库 / the database is not empty; demo data fills only an empty database"));
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
    let mut by_email = std::collections::HashMap::new();
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
                fields: expert_fields(email),
            },
            now,
        )?;
        if let Some(k) = org {
            user_ids.entry(*k).or_insert(user.id.clone());
        }
        by_email.insert(*email, user.id.clone());
    }
    profiles(conn, now, &org_ids)?;
    let mut evaluating = Vec::new();
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
        if spec.status == ChallengeStatus::Evaluating {
            evaluating.push((id.clone(), deadline));
        }
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
    for (id, deadline) in &evaluating {
        evaluation_under_way(conn, id, *deadline, &org_ids, &user_ids, &by_email)?;
    }
    let official = &by_email["official@demo.jiebang.cn"];
    contracted_project(conn, rules, keys, now, &org_ids, &user_ids, official)?;
    consortia(conn, now, &org_ids, &user_ids)?;
    Ok(format!(
        "demo data: {} organisations, {} accounts (password {PASSWORD}), {} challenges (one contracted, with a registered agreement), 2 filed consortia",
        ORGANIZATIONS.len(),
        ACCOUNTS.len(),
        CHALLENGES.len() + 1
    ))
}

/// Capability profiles (能力画像) of the research organisations, so that their workspaces
/// recommend the published challenges they can take, with reasons.
fn profiles(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    org_ids: &std::collections::HashMap<&str, String>,
) -> ApiResult<()> {
    let list = |v: &[&str]| serde_json::to_string(v).expect("a list");
    for (org, industries, keywords, statement) in [
        (
            "university",
            &["种业", "农牧业", "乳业"][..],
            &["牧草育种", "苜蓿", "肉牛遗传育种", "分子标记辅助选择", "草产品加工"][..],
            "学校在牧草与家畜遗传育种领域有国家级重点学科，长期开展苜蓿新品种选育、肉牛基因组选择和草产品加工研究。",
        ),
        (
            "energy_institute",
            &["新能源", "装备制造"][..],
            &["电解水制氢", "碱性电解槽", "风光制氢", "宽功率适应", "无人驾驶", "智能调度"][..],
            "研究院从事可再生能源制氢与智能装备研究，建有风光制氢中试平台，开展碱性电解槽宽功率运行与多槽协同调度、矿用车辆无人驾驶调度研究。",
        ),
    ] {
        jiebang_db::profiles::put(
            conn,
            &jiebang_db::profiles::Profile {
                organization_id: org_ids[org].clone(),
                industries_json: list(industries),
                keywords_json: list(keywords),
                statement: statement.into(),
                platforms_json: list(&[]),
                past_projects_json: list(&[]),
                updated_at: now.naive_utc(),
            },
        )?;
    }
    Ok(())
}

/// The demo experts' fields (专业领域).
fn expert_fields(email: &str) -> Vec<String> {
    let fields: &[&str] = match email {
        "expert.hydrogen@demo.jiebang.cn" => &["氢能", "新能源", "电解水制氢"],
        "expert.breeding@demo.jiebang.cn" => &["现代农牧业", "奶牛育种", "生物技术"],
        _ => &[],
    };
    fields.iter().map(|f| (*f).to_owned()).collect()
}

/// A closed challenge under evaluation: two bids handed in (the university's and the hydrogen
/// enterprise's), a rubric, and the hydrogen expert assigned by the official with nothing scored
/// yet, so that the expert's account has its main task waiting.
fn evaluation_under_way(
    conn: &mut DbConnection,
    challenge_id: &str,
    deadline: DateTime<Utc>,
    org_ids: &std::collections::HashMap<&str, String>,
    user_ids: &std::collections::HashMap<&str, String>,
    by_email: &std::collections::HashMap<&str, String>,
) -> ApiResult<()> {
    let bids = [
        (
            "university",
            "以晶界扩散结合多元素协同掺杂调控晶界相，建立低重稀土磁体成分—工艺—性能数据库，完成百公斤级中试。",
            "26 kOe",
            "35%",
        ),
        (
            "hydrogen",
            "采用双合金法与晶粒细化工艺，配合在线氧含量控制，形成批量化制备工艺并在驱动电机上验证。",
            "25 kOe",
            "30%",
        ),
    ];
    for (i, (lead, approach, coercivity, reduction)) in bids.iter().enumerate() {
        let bid = jiebang_db::bids::Bid {
            id: jiebang_db::new_id(),
            challenge_id: challenge_id.to_owned(),
            lead_organization_id: org_ids[lead].clone(),
            created_by: user_ids[lead].clone(),
            status: "submitted".into(),
            chief_scientist_json: None,
            approach: (*approach).into(),
            kpi_answers_json: format!(
                r#"[{{"kpi_id":"kpi-1","value":"{coercivity}"}},{{"kpi_id":"kpi-2","value":"{reduction}"}}]"#
            ),
            milestones_json:
                r#"[{"month":12,"deliverable":"中试工艺与样品"},{"month":30,"deliverable":"批量化生产线"}]"#
                    .into(),
            requested_fiscal: 6_000_000,
            own_funds: 2_000_000 + 500_000 * i as i64,
            ineligible_reasons_json: None,
            submitted_at: Some((deadline - Duration::days(3 + i as i64)).naive_utc()),
            withdrawn_at: None,
            version: 1,
            created_at: (deadline - Duration::days(20)).naive_utc(),
            updated_at: (deadline - Duration::days(3)).naive_utc(),
        };
        jiebang_db::bids::insert(conn, &bid, &[])?;
    }
    let official = &by_email["official@demo.jiebang.cn"];
    let criteria = [("技术方案", 50), ("团队实力", 30), ("经费合理性", 20)]
        .iter()
        .enumerate()
        .map(
            |(i, (name, weight))| jiebang_domain::evaluation::Criterion {
                key: format!("c{}", i + 1),
                name: (*name).into(),
                weight: *weight,
            },
        )
        .collect::<Vec<_>>();
    let at = (deadline + Duration::hours(2)).naive_utc();
    jiebang_db::evaluation::set_rubric(conn, challenge_id, &criteria, official, at)?;
    jiebang_db::evaluation::assign(
        conn,
        challenge_id,
        &by_email["expert.hydrogen@demo.jiebang.cn"],
        official,
        at,
    )?;
    Ok(())
}

/// A challenge carried through to a registered agreement: the dairy enterprise's challenge, won
/// by the university; one milestone met and paid.
#[allow(clippy::too_many_arguments)]
fn contracted_project(
    conn: &mut DbConnection,
    rules: &Rules,
    keys: &Keyring,
    now: DateTime<Utc>,
    org_ids: &std::collections::HashMap<&str, String>,
    user_ids: &std::collections::HashMap<&str, String>,
    official: &str,
) -> ApiResult<()> {
    use jiebang_db::agreements::{MilestoneRow, Payment, Signature};
    let created = now - Duration::days(200);
    let deadline = created + Duration::days(60);
    let input = TermsInput {
        title: "乳制品加工副产物乳清高值化利用关键技术".into(),
        kind: "transformation".into(),
        mode: "open".into(),
        industry: "乳业".into(),
        industry_chain: "乳制品".into(),
        problem: "针对乳制品加工副产物乳清利用率低、附加值不高的问题，开发乳清蛋白分离纯化与功能性配料制备技术，实现产业化应用。".into(),
        kpis: vec![("乳清蛋白回收率".into(), "≥90".into(), "%".into())],
        expected_outcomes: "建成示范生产线一条".into(),
        duration_months: 24,
        enterprise_funds: 8_000_000,
        fiscal_support: 4_000_000,
        max_winners: 1,
        consortium_required: false,
        max_members: 5,
        min_in_region_percent: 0,
        chief_scientist_required: false,
        ip_ownership: "shared".into(),
        bidding_deadline: deadline,
        questions_deadline: deadline - Duration::days(7),
        contact_name: "赵总工".into(),
        contact_phone: "0471-6610099".into(),
        contact_email: "dairy@demo.jiebang.cn".into(),
        invited_organizations: vec![],
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
    .map_err(|v| ApiError::internal(format!("demo contracted challenge invalid: {v:?}")))?;
    let cid = jiebang_db::new_id();
    let publisher = jiebang_db::organizations::find(conn, &org_ids["dairy"])?
        .ok_or_else(|| ApiError::internal("demo org"))?;
    let winner = jiebang_db::organizations::find(conn, &org_ids["university"])?
        .ok_or_else(|| ApiError::internal("demo org"))?;
    jiebang_db::challenges::insert(
        conn,
        &NewChallenge {
            id: cid.clone(),
            organization_id: publisher.id.clone(),
            created_by: user_ids["dairy"].clone(),
            status: "contracted".into(),
            region_code: publisher.region_code.clone(),
            terms: TermsRow::from_terms(&terms),
            version: 1,
            created_at: created.naive_utc(),
            updated_at: now.naive_utc(),
        },
        &[],
    )?;
    jiebang_db::challenges::change_status(
        conn,
        &cid,
        "contracted",
        &StatusChange {
            submitted_at: Some((created + Duration::days(1)).naive_utc()),
            published_at: Some((created + Duration::days(3)).naive_utc()),
            closed_at: Some(deadline.naive_utc()),
            ..Default::default()
        },
        now.naive_utc(),
    )?;
    let bid = jiebang_db::bids::Bid {
        id: jiebang_db::new_id(),
        challenge_id: cid.clone(),
        lead_organization_id: winner.id.clone(),
        created_by: user_ids["university"].clone(),
        status: "awarded".into(),
        chief_scientist_json: None,
        approach: "采用膜分离与层析耦合工艺分离纯化乳清蛋白，开发功能性配料。".into(),
        kpi_answers_json: r#"[{"kpi_id":"kpi-1","value":"92%"}]"#.into(),
        milestones_json:
            r#"[{"month":6,"deliverable":"中试工艺包"},{"month":18,"deliverable":"示范生产线"}]"#
                .into(),
        requested_fiscal: 4_000_000,
        own_funds: 1_000_000,
        ineligible_reasons_json: None,
        submitted_at: Some((deadline - Duration::days(2)).naive_utc()),
        withdrawn_at: None,
        version: 1,
        created_at: (deadline - Duration::days(20)).naive_utc(),
        updated_at: now.naive_utc(),
    };
    jiebang_db::bids::insert(conn, &bid, &[])?;
    let aterms = jiebang_domain::agreement::Terms {
        challenge_id: cid.clone(),
        bid_id: bid.id.clone(),
        title: terms.title.clone(),
        parties: vec![
            jiebang_domain::agreement::Party {
                role: jiebang_domain::agreement::PartyRole::Publisher,
                organization_id: publisher.id.clone(),
                name: publisher.name.clone(),
                credit_code: publisher.credit_code.clone(),
            },
            jiebang_domain::agreement::Party {
                role: jiebang_domain::agreement::PartyRole::Bidder,
                organization_id: winner.id.clone(),
                name: winner.name.clone(),
                credit_code: winner.credit_code.clone(),
            },
        ],
        fiscal_amount: 4_000_000,
        enterprise_amount: 8_000_000,
        term_months: 24,
        ip_ownership: "shared".into(),
        kpis: vec![jiebang_domain::agreement::AgreedKpi {
            name: "乳清蛋白回收率".into(),
            target: "≥90".into(),
            unit: "%".into(),
            committed: "92%".into(),
        }],
        milestones: vec![
            jiebang_domain::agreement::AgreedMilestone {
                month: 6,
                deliverable: "中试工艺包".into(),
            },
            jiebang_domain::agreement::AgreedMilestone {
                month: 18,
                deliverable: "示范生产线".into(),
            },
        ],
    };
    let hash = jiebang_domain::agreement::terms_hash(&aterms);
    let signed = micros(deadline + Duration::days(30));
    let registered = micros(signed + Duration::days(5));
    let agreement = jiebang_db::evaluation::Agreement {
        id: jiebang_db::new_id(),
        challenge_id: cid.clone(),
        bid_id: bid.id.clone(),
        status: "registered".into(),
        terms_json: serde_json::to_string(&aterms).map_err(ApiError::internal)?,
        terms_hash: hash.clone(),
        version: 1,
        created_at: (deadline + Duration::days(20)).naive_utc(),
        updated_at: registered.naive_utc(),
        signed_at: Some(signed.naive_utc()),
        registered_at: Some(registered.naive_utc()),
        registered_by: Some(official.to_owned()),
        end_reason: None,
        ended_at: None,
        registration_statement: None,
        registration_key_id: None,
        registration_signature: None,
        registration_countersign_statement: None,
        registration_countersign_key_id: None,
        registration_countersignature: None,
    };
    jiebang_db::evaluation::insert_agreement(conn, &agreement)?;
    // signed and registered as the service signs them: SM2 with the keys the platform keeps
    for (org, user) in [
        (&publisher.id, &user_ids["dairy"]),
        (&winner.id, &user_ids["university"]),
    ] {
        let s = sign_terms(conn, keys, &agreement.id, org, user, &aterms, None, signed)?;
        jiebang_db::agreements::add_signature(
            conn,
            &Signature {
                agreement_id: agreement.id.clone(),
                organization_id: org.clone(),
                user_id: user.clone(),
                terms_hash: hash.clone(),
                signed_at: signed.naive_utc(),
                terms_sm3: Some(s.terms_sm3),
                key_id: Some(s.key_id),
                signature: Some(s.signature),
                countersign_statement: Some(s.countersign_statement),
                countersign_key_id: Some(s.countersign_key_id),
                countersignature: Some(s.countersignature),
            },
        )?;
    }
    let r = countersign_registration(conn, keys, &agreement, &aterms, official, registered)?;
    jiebang_db::agreements::change(
        conn,
        &agreement.id,
        "registered",
        &r.change(),
        registered.naive_utc(),
    )?;
    let mut first = String::new();
    for (i, m) in aterms.milestones.iter().enumerate() {
        let met = i == 0;
        let row = MilestoneRow {
            id: jiebang_db::new_id(),
            agreement_id: agreement.id.clone(),
            seq: i as i64 + 1,
            month: i64::from(m.month),
            deliverable: m.deliverable.clone(),
            due_at: jiebang_domain::agreement::milestone_due(registered, m.month).naive_utc(),
            status: if met {
                "met".into()
            } else {
                "scheduled".into()
            },
            evidence: met.then(|| "中试工艺包通过专家验收".to_owned()),
            reported_at: met.then(|| (registered + Duration::days(170)).naive_utc()),
            reported_by: met.then(|| user_ids["university"].clone()),
            confirmed_at: met.then(|| (registered + Duration::days(175)).naive_utc()),
            confirmed_by: met.then(|| user_ids["dairy"].clone()),
        };
        if met {
            first = row.id.clone();
        }
        jiebang_db::agreements::insert_milestone(conn, &row)?;
    }
    for (source, amount, by) in [
        ("fiscal", 1_500_000, user_ids["dairy"].clone()),
        ("enterprise", 3_000_000, user_ids["dairy"].clone()),
    ] {
        jiebang_db::agreements::insert_payment(
            conn,
            &Payment {
                id: jiebang_db::new_id(),
                agreement_id: agreement.id.clone(),
                milestone_id: first.clone(),
                source: source.into(),
                amount,
                paid_at: (registered + Duration::days(180)).naive_utc(),
                recorded_by: by,
                created_at: (registered + Duration::days(180)).naive_utc(),
            },
        )?;
    }
    Ok(())
}

/// Two filed consortia, after the seed article's examples.
fn consortia(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    org_ids: &std::collections::HashMap<&str, String>,
    user_ids: &std::collections::HashMap<&str, String>,
) -> ApiResult<()> {
    use jiebang_db::consortia::Consortium;
    // (lead, name, industry direction, members, [national, provincial, regional platforms], mechanisms)
    type Spec<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], [i64; 3], &'a str);
    let specs: [Spec; 2] = [
        (
            "hydrogen",
            "风光制氢装备创新联合体",
            "新能源",
            &["energy_institute", "university"],
            [1, 3, 2],
            "联合立项、联合研制、联合验证",
        ),
        (
            "cattle",
            "肉牛种业创新联合体",
            "种业",
            &["agri_academy", "university"],
            [0, 2, 4],
            "出资入股、贡献激励、利益共享",
        ),
    ];
    for (n, (lead, name, direction, members, platforms, mechanisms)) in specs.iter().enumerate() {
        let year = i64::from(chrono::Datelike::year(
            &now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")),
        ));
        let number = jiebang_db::consortia::next_number(conn, year)?;
        let row = Consortium {
            id: jiebang_db::new_id(),
            lead_organization_id: org_ids[lead].clone(),
            created_by: user_ids[lead].clone(),
            name: (*name).into(),
            industry_direction: (*direction).into(),
            national_platforms: platforms[0],
            provincial_platforms: platforms[1],
            regional_platforms: platforms[2],
            mechanisms: (*mechanisms).into(),
            status: "filed".into(),
            registration_no: Some(format!("NMCX-{year}-{number:04}")),
            filed_at: Some((now - Duration::days(30 - n as i64)).naive_utc()),
            revoked_at: None,
            revoke_reason: None,
            version: 1,
            created_at: (now - Duration::days(40)).naive_utc(),
            updated_at: now.naive_utc(),
        };
        let member_ids: Vec<String> = members.iter().map(|m| org_ids[m].clone()).collect();
        jiebang_db::consortia::insert(conn, &row, &member_ids)?;
    }
    Ok(())
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
