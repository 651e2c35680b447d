//! Tests of the matcher on the demo challenges (`api/src/demo.rs`).

use super::*;
use std::sync::OnceLock;

/// One analyser for all tests: loading jieba's dictionary is the slow part.
pub(crate) fn analyzer() -> Arc<Analyzer> {
    static ANALYZER: OnceLock<Arc<Analyzer>> = OnceLock::new();
    ANALYZER.get_or_init(|| Arc::new(Analyzer::new())).clone()
}

fn challenge(
    id: &str,
    title: &str,
    industry: &str,
    chain: &str,
    problem: &str,
    kpis: &str,
) -> ChallengeDoc {
    ChallengeDoc {
        id: id.into(),
        title: title.into(),
        industry: industry.into(),
        industry_chain: chain.into(),
        kpis_text: kpis.into(),
        body_text: format!(
            "{problem}\n形成样机或新品种、示范应用与知识产权成果，完成第三方测试评价。"
        ),
        region_code: "150000".into(),
    }
}

pub(crate) const HYDROGEN_TITLE: &str =
    "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用";

/// The demo's challenges, as `api/src/demo.rs` seeds them.
pub(crate) fn demo_challenges() -> Vec<ChallengeDoc> {
    vec![
        challenge(
            "hydrogen",
            HYDROGEN_TITLE,
            "新能源",
            "氢能",
            "针对风光发电功率大范围、高频次波动的特点，研制千标方级碱性电解水制氢装备，突破宽功率适应、快速启停与多槽协同控制技术，在鄂尔多斯风光制氢一体化项目中开展示范应用。",
            "单槽产氢量 ≥1000Nm³/h；功率调节范围 20%–110%额定功率；直流电耗 ≤4.3kWh/Nm³",
        ),
        challenge(
            "cattle",
            "内蒙古地区肉牛核心种质构建与新品种培育",
            "种业",
            "肉牛",
            "围绕我区肉牛产业种源依赖进口的问题，开展肉牛核心种质资源挖掘与评价，建立基因组选择育种体系，培育适应草原牧区的肉牛新品种（系），提高繁殖效率与产肉性能。",
            "核心育种群规模 ≥2000头；新品种（系） ≥1个；日增重提高 ≥10%",
        ),
        challenge(
            "alfalfa",
            "高产优质苜蓿新品种选育与草产品加工关键技术",
            "种业",
            "饲草",
            "针对我区苜蓿单产低、越冬率不稳定、草产品品质参差的问题，选育耐寒耐旱高产苜蓿新品种，突破苜蓿青贮与草产品加工关键技术，保障奶业优质饲草供给。",
            "干草产量 ≥1000kg/亩；越冬率 ≥90%；粗蛋白含量 ≥20%",
        ),
        challenge(
            "magnet",
            "高矫顽力低重稀土烧结钕铁硼永磁材料制备关键技术",
            "稀土",
            "稀土永磁",
            "面向新能源汽车与风电电机需求，研究晶界扩散与组织调控技术，降低重稀土用量的同时提高烧结钕铁硼磁体矫顽力和温度稳定性，形成批量化制备工艺。",
            "内禀矫顽力 ≥25kOe；重稀土用量降低 ≥30%",
        ),
        challenge(
            "mining",
            "大型露天煤矿无人驾驶矿用卡车编组运行关键技术",
            "装备制造",
            "智能矿山",
            "针对露天煤矿运输环节用工多、安全风险高的问题，研发矿用卡车无人驾驶感知、决策与编组协同调度技术，在鄂尔多斯露天煤矿实现常态化编组运行。",
            "编组规模 ≥20台；运输效率 ≥人工驾驶的95%",
        ),
        challenge(
            "mongolian_medicine",
            "蒙药材道地性评价与质量标准体系构建",
            "中医药(蒙医药)",
            "蒙药材",
            "围绕蒙药材品种混杂、质量标准缺失的问题，开展道地蒙药材资源普查与道地性评价，建立指纹图谱与质量标准体系，支撑蒙药产业高质量发展。",
            "质量标准 ≥10项；道地药材品种 ≥5个",
        ),
    ]
}

fn hydrogen_profile() -> ProfileDoc {
    ProfileDoc {
        id: "h2-maker".into(),
        name: "鄂尔多斯市氢能装备有限公司".into(),
        industries: vec!["新能源".into()],
        keywords: vec!["氢能".into(), "电解槽".into(), "碱性电解".into()],
        statement: "公司专注氢能装备，研制大标方碱性电解槽及配套电源，参与多个绿氢示范项目。"
            .into(),
        platforms: vec!["自治区氢能装备工程技术研究中心".into()],
        past_projects: vec!["风光制氢一体化示范项目电解槽供货".into()],
        region_code: "150600".into(),
    }
}

fn matcher() -> Matcher {
    Matcher::build(analyzer(), Params::default(), &demo_challenges(), &[])
}

#[test]
fn the_hydrogen_profile_gets_the_electrolysis_challenge_first_with_its_terms() {
    let m = matcher();
    let hits = m.recommend_challenges(&hydrogen_profile(), 10);
    assert_eq!(hits[0].id, "hydrogen", "{hits:#?}");
    let reasons = &hits[0].reasons;
    assert!(
        reasons
            .matched_terms
            .iter()
            .any(|t| t == "电解槽" || t == "氢能"),
        "{reasons:?}"
    );
    assert_eq!(reasons.matched_industry.as_deref(), Some("新能源"));
    assert_eq!(reasons.region, RegionMatch::SameProvince);
    // the others share nothing but boilerplate, or score far below
    for other in &hits[1..] {
        assert!(
            other.score < hits[0].score / 3.0,
            "{other:?} vs {:?}",
            hits[0]
        );
    }
}

#[test]
fn evidence_names_the_kpis_and_the_projects_that_answer_each_other() {
    let m = matcher();
    let challenge = &demo_challenges()[0];
    let kpis: Vec<String> = challenge.kpis_text.split('；').map(str::to_owned).collect();
    let mut profile = hydrogen_profile();
    profile.statement.push_str("电解槽单槽产氢量达到1000标方。");
    profile.past_projects.push("苜蓿青贮饲料加工".into());
    let e = m.evidence(&kpis, challenge, &profile);
    // the first KPI (单槽产氢量) is answered; power range and energy use are not in the profile
    assert_eq!(e.kpis.len(), 1, "{e:#?}");
    assert_eq!(e.kpis[0].text, kpis[0]);
    assert_eq!(e.kpis[0].terms, vec!["单槽", "产氢量"]);
    // the wind-solar hydrogen project speaks to the challenge, the alfalfa one does not; the
    // platform (氢能装备) does
    let texts: Vec<&str> = e.projects.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "风光制氢一体化示范项目电解槽供货",
            "自治区氢能装备工程技术研究中心"
        ],
        "{e:#?}"
    );
    // 电解槽 is not in the challenge (it says 电解水制氢): 电解 is what the project shares with it
    assert_eq!(e.projects[0].terms, vec!["风光制氢", "电解"]);
    // a term inside a longer shared term of the same text is not repeated
    for a in e.kpis.iter().chain(&e.projects) {
        for t in &a.terms {
            assert!(
                !a.terms.iter().any(|u| u != t && u.contains(t.as_str())),
                "{a:?}"
            );
        }
    }
}

#[test]
fn a_profile_of_only_two_words_is_enough() {
    let m = matcher();
    let profile = ProfileDoc {
        id: "p".into(),
        keywords: vec!["氢能".into(), "电解槽".into()],
        ..ProfileDoc::default()
    };
    let hits = m.recommend_challenges(&profile, 3);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].id, "hydrogen");
    // the challenge says 电解水制氢 and 多槽, not 电解槽: 电解 is what they share
    assert_eq!(hits[0].reasons.matched_terms, vec!["氢能", "电解"]);
}

#[test]
fn reasons_name_the_longest_matched_words() {
    let m = matcher();
    let profile = ProfileDoc {
        id: "p".into(),
        keywords: vec!["电解水制氢".into()],
        ..ProfileDoc::default()
    };
    let hits = m.recommend_challenges(&profile, 3);
    assert_eq!(hits[0].id, "hydrogen");
    // 电解, 制氢 and 氢 matched too, but they are inside 电解水制氢
    assert_eq!(hits[0].reasons.matched_terms, vec!["电解水制氢"]);
}

#[test]
fn keyword_search_finds_sub_words_and_not_neighbours() {
    let m = matcher();
    assert_eq!(m.keyword_search("制氢"), Some(vec!["hydrogen".to_string()]));
    assert_eq!(m.keyword_search("苜蓿"), Some(vec!["alfalfa".to_string()]));
    assert_eq!(m.keyword_search("肉牛"), Some(vec!["cattle".to_string()]));
    assert_eq!(
        m.keyword_search("稀土永磁"),
        Some(vec!["magnet".to_string()])
    );
    assert_eq!(m.keyword_search("钕铁硼"), Some(vec!["magnet".to_string()]));
    // every word must be there
    assert_eq!(m.keyword_search("苜蓿 肉牛"), Some(vec![]));
    assert_eq!(
        m.keyword_search("电解水制氢 鄂尔多斯"),
        Some(vec!["hydrogen".to_string()])
    );
    // two challenges mention 鄂尔多斯
    assert_eq!(m.keyword_search("鄂尔多斯").map(|v| v.len()), Some(2));
    assert_eq!(
        m.keyword_search("电解水制氢 鄂尔多斯 电解水制氢"),
        Some(vec!["hydrogen".to_string()])
    );
    // nothing searchable
    assert_eq!(m.keyword_search("的 关键技术 2000"), None);
}

#[test]
fn keyword_matches_are_the_searchs_documents_unranked() {
    let m = matcher();
    for q in [
        "制氢",
        "苜蓿",
        "稀土永磁",
        "苜蓿 肉牛",
        "鄂尔多斯",
        "电解水制氢 鄂尔多斯",
        "的 关键技术 2000",
    ] {
        let ranked = m.keyword_search(q).map(|mut v| {
            v.sort();
            v
        });
        let unranked = m.keyword_matches(q, None).map(|v| {
            let mut v: Vec<String> = v.into_iter().map(str::to_owned).collect();
            v.sort();
            v
        });
        assert_eq!(ranked, unranked, "{q}");
    }
    assert_eq!(
        m.keyword_matches("鄂尔多斯", None).map(|v| v.len()),
        Some(2)
    );
}

#[test]
fn keyword_matches_come_newest_first_and_stop_at_the_bound() {
    let mut m = matcher();
    let all = m.keyword_matches("鄂尔多斯", None).unwrap();
    let (a, b) = (all[0].to_owned(), all[1].to_owned());
    // by order key, greatest first, whatever the ids
    assert!(m.set_challenge_order(&a, 1));
    assert!(m.set_challenge_order(&b, 2));
    assert_eq!(
        m.keyword_matches("鄂尔多斯", None).unwrap(),
        [b.as_str(), a.as_str()]
    );
    assert!(m.set_challenge_order(&a, 3));
    assert_eq!(
        m.keyword_matches("鄂尔多斯", None).unwrap(),
        [a.as_str(), b.as_str()]
    );
    // the bound is exclusive
    assert_eq!(
        m.keyword_matches("鄂尔多斯", Some((3, a.as_str())))
            .unwrap(),
        [b.as_str()]
    );
    assert_eq!(
        m.keyword_matches("鄂尔多斯", Some((2, b.as_str())))
            .unwrap(),
        Vec::<&str>::new()
    );
    // equal keys: by id, greatest first
    assert!(m.set_challenge_order(&b, 3));
    let mut ids = [a.as_str(), b.as_str()];
    ids.sort();
    ids.reverse();
    assert_eq!(m.keyword_matches("鄂尔多斯", None).unwrap(), ids);
    assert!(!m.set_challenge_order("no-such-challenge", 1));
}

#[test]
fn organisations_are_ranked_for_a_challenge_with_region_and_industry() {
    let mut m = matcher();
    let near = hydrogen_profile();
    let far = ProfileDoc {
        id: "far".into(),
        region_code: "320500".into(),
        ..hydrogen_profile()
    };
    let cattle = ProfileDoc {
        id: "beef".into(),
        name: "内蒙古肉牛育种有限公司".into(),
        industries: vec!["种业".into(), "农牧业".into()],
        keywords: vec!["肉牛".into(), "基因组选择".into(), "胚胎移植".into()],
        statement: "从事西门塔尔肉牛核心育种群建设与种公牛培育。".into(),
        region_code: "150500".into(),
        ..ProfileDoc::default()
    };
    for p in [&far, &near, &cattle] {
        m.upsert_profile(p);
    }
    let hydrogen = &demo_challenges()[0];
    let hits = m.recommend_organizations(hydrogen, 5);
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, vec!["h2-maker", "far"], "{hits:#?}");
    assert_eq!(hits[0].reasons.region, RegionMatch::SameProvince);
    assert_eq!(hits[1].reasons.region, RegionMatch::None);
    let hits = m.recommend_organizations(&demo_challenges()[1], 5);
    assert_eq!(hits[0].id, "beef");
    assert_eq!(hits[0].reasons.matched_industry.as_deref(), Some("种业"));
    assert!(hits[0].reasons.matched_terms.contains(&"肉牛".to_string()));
    // a filter leaves out, e.g., the publisher itself
    let hits = m.recommend_organizations_where(hydrogen, 5, |id| id != "h2-maker");
    assert_eq!(hits[0].id, "far");
}

#[test]
fn upsert_replaces_and_remove_forgets() {
    let mut m = matcher();
    assert_eq!(m.challenges().len(), 6);
    let mut amended = demo_challenges()[2].clone();
    amended.title = "燕麦草新品种选育".into();
    amended.body_text = "选育燕麦草新品种。".into();
    amended.kpis_text.clear();
    amended.industry_chain = "饲草".into();
    m.upsert_challenge(&amended);
    assert_eq!(m.challenges().len(), 6);
    assert_eq!(m.keyword_search("苜蓿"), Some(vec![]));
    assert_eq!(
        m.keyword_search("燕麦草"),
        Some(vec!["alfalfa".to_string()])
    );
    assert!(m.remove_challenge("alfalfa"));
    assert!(!m.remove_challenge("alfalfa"));
    assert_eq!(m.keyword_search("燕麦草"), Some(vec![]));
    assert_eq!(m.challenges().len(), 5);
    // the freed slot is reused and the index still ranks
    m.upsert_challenge(&demo_challenges()[2]);
    assert_eq!(m.keyword_search("苜蓿"), Some(vec!["alfalfa".to_string()]));
    assert_eq!(
        m.recommend_challenges(&hydrogen_profile(), 1)[0].id,
        "hydrogen"
    );
}

#[test]
fn incremental_updates_rank_like_a_fresh_build() {
    let docs = demo_challenges();
    let built = matcher();
    let mut grown = Matcher::with(analyzer(), Params::default());
    for d in docs.iter().rev() {
        grown.upsert_challenge(d);
    }
    let profile = hydrogen_profile();
    let a = built.recommend_challenges(&profile, 6);
    let b = grown.recommend_challenges(&profile, 6);
    assert_eq!(
        a.iter().map(|h| &h.id).collect::<Vec<_>>(),
        b.iter().map(|h| &h.id).collect::<Vec<_>>()
    );
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x.score - y.score).abs() < 1e-3 * x.score.max(1.0),
            "{x:?} {y:?}"
        );
    }
}

#[test]
fn bm25_prefers_the_rarer_and_more_frequent_term() {
    let a = analyzer();
    let fields = [FieldSpec {
        name: "text",
        weight: 1.0,
        b: 0.75,
    }];
    let doc = |id: &str, text: &str| ChallengeDoc {
        id: id.into(),
        title: text.into(),
        ..ChallengeDoc::default()
    };
    // a one-field view of ChallengeDoc: only the title is indexed
    let docs = vec![
        doc("a", "苜蓿 苜蓿 苜蓿 饲草"),
        doc("b", "苜蓿 饲草 饲草 饲草"),
        doc("c", "饲草 青贮"),
        doc("d", "饲草 牧草"),
    ];
    let index = Index::build(a.clone(), &fields, Params::default().scoring, &docs);
    let q = Query::from_texts(&a, &[("苜蓿 饲草", 1.0)], &Params::default().scoring);
    let hits = index.search(&q, 4, |_| true);
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    // 苜蓿 is rarer than 饲草, so a's three 苜蓿 beat b's three 饲草
    assert_eq!(ids, vec!["a", "b", "c", "d"], "{hits:#?}");
    assert!(hits[2].score == hits[3].score);
}

#[test]
fn the_matcher_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Matcher>();
    shared::<Analyzer>();
    shared::<std::sync::RwLock<Matcher>>();
}
