//! Speed and memory of the matching engine on synthetic data (see `docs/matching.md`):
//!
//! ```sh
//! cargo bench -p jiebang-domain --bench matching
//! ```
//!
//! - top 20 challenges for one organisation over 100 000 challenges;
//! - top 20 organisations for one challenge over 10 000 profiles;
//! - the list's keyword search over 100 000 challenges;
//! - replacing one challenge (an amendment) in that index;
//! - building the index of 100 000 challenges, and its memory (printed before the timings).
//!
//! Documents are generated from the domain dictionary plus general technical words, drawn with a
//! skew (a few words very common, most rare) by a fixed-seed LCG, so every run sees the same data.

use criterion::{BenchmarkId, Criterion};
use jiebang_domain::challenge::DEFAULT_INDUSTRIES;
use jiebang_domain::matching::{Analyzer, ChallengeDoc, Index, Matcher, Params, ProfileDoc};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHALLENGES: usize = 100_000;
const PROFILES: usize = 10_000;
const K: usize = 20;

const DICTIONARY: &str = include_str!("../data/matching-dictionary.txt");

/// General words of technical texts, beside the domain dictionary's.
const GENERAL: &[&str] = &[
    "材料",
    "工艺",
    "装置",
    "系统",
    "控制",
    "监测",
    "检测",
    "模型",
    "算法",
    "数据",
    "传感",
    "优化",
    "设计",
    "制备",
    "加工",
    "性能",
    "效率",
    "稳定性",
    "寿命",
    "能耗",
    "标准",
    "评价",
    "试验",
    "样机",
    "中试",
    "生产线",
    "智能化",
    "数字化",
    "自动化",
    "信息化",
    "精准",
    "安全",
    "可靠性",
    "集约",
    "循环",
    "绿色",
    "低碳",
    "节能",
    "减排",
    "回收",
    "再利用",
    "提纯",
    "分离",
    "合成",
    "催化",
    "反应器",
    "换热",
    "密封",
    "防腐",
    "耐磨",
    "轻质",
    "高强",
    "耐高温",
    "低温",
    "寒区",
    "干旱",
    "盐碱",
    "风沙",
    "高原",
    "牧区",
    "农区",
    "城市",
    "园区",
    "基地",
    "示范线",
    "装备",
    "部件",
    "芯片",
    "软件",
    "模块",
    "接口",
    "协议",
    "网络",
    "终端",
    "云平台",
    "边缘计算",
    "视觉",
    "识别",
    "定位",
    "导航",
    "调度",
    "预测",
    "预警",
    "诊断",
    "运维",
    "管理",
    "质量",
    "溯源",
    "品质",
    "营养",
    "加工业",
    "冷链",
    "物流",
    "包装",
    "储运",
    "保鲜",
    "屠宰",
    "分割",
    "深加工",
    "提取",
    "纯化",
    "发酵",
    "菌种",
    "酶",
    "蛋白",
    "多糖",
    "活性",
    "功效",
    "毒理",
    "临床",
    "药效",
    "制剂",
    "标准化",
    "规模化",
    "工厂化",
    "产业集群",
    "龙头企业",
    "合作社",
    "农牧民",
];

const CONNECTORS: &[&str] = &[
    "针对",
    "围绕",
    "面向",
    "开展",
    "研发",
    "突破",
    "建立",
    "形成",
    "提高",
    "降低",
    "实现",
    "构建",
    "的",
    "与",
    "和",
    "及",
    "等",
    "关键技术",
    "问题",
    "需求",
    "体系",
    "能力",
    "水平",
    "，",
];

const REGIONS: &[&str] = &[
    "150000", "150100", "150102", "150200", "150203", "150300", "150400", "150500", "150600",
    "150602", "150700", "150800", "150900", "152200", "152500", "152900", "110000", "120000",
    "130100", "140100", "210100", "220100", "320100", "370100", "410100", "610100", "620100",
    "640100", "650100",
];

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

struct Vocabulary {
    words: Vec<&'static str>,
}

impl Vocabulary {
    fn new(rng: &mut Lcg) -> Self {
        let mut words: Vec<&'static str> = DICTIONARY
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.chars().count() >= 2)
            .chain(GENERAL.iter().copied())
            .collect();
        // a fixed shuffle, so that the common words are a mix of domain and general words
        for i in (1..words.len()).rev() {
            let j = rng.below(i + 1);
            words.swap(i, j);
        }
        Vocabulary { words }
    }

    /// A word, the first ones much more often than the last (rank ∝ u^2.5).
    fn word(&self, rng: &mut Lcg) -> &'static str {
        let u = rng.unit().powf(2.5);
        self.words[(u * self.words.len() as f64) as usize]
    }

    fn sentence(&self, rng: &mut Lcg, words: usize) -> String {
        let mut s = String::new();
        for _ in 0..words {
            if rng.below(3) == 0 {
                s.push_str(rng.pick(CONNECTORS));
            }
            s.push_str(self.word(rng));
        }
        s.push('。');
        s
    }
}

fn challenge(v: &Vocabulary, rng: &mut Lcg, n: usize) -> ChallengeDoc {
    let title = format!(
        "{}{}{}关键技术研究与示范",
        v.word(rng),
        v.word(rng),
        v.word(rng)
    );
    let kpis: Vec<String> = (0..rng.range(2, 4))
        .map(|_| format!("{}{} ≥{}%", v.word(rng), v.word(rng), rng.range(10, 99)))
        .collect();
    let body: String = (0..rng.range(4, 7))
        .map(|_| {
            let words = rng.range(5, 9);
            v.sentence(rng, words)
        })
        .collect();
    ChallengeDoc {
        id: format!("c{n:06}"),
        title,
        industry: rng.pick(DEFAULT_INDUSTRIES).to_owned(),
        industry_chain: v.word(rng).to_owned(),
        kpis_text: kpis.join("；"),
        body_text: body,
        region_code: rng.pick(REGIONS).to_owned(),
    }
}

fn profile(v: &Vocabulary, rng: &mut Lcg, n: usize) -> ProfileDoc {
    let list = |rng: &mut Lcg, lo, hi, f: &dyn Fn(&mut Lcg) -> String| -> Vec<String> {
        (0..rng.range(lo, hi)).map(|_| f(rng)).collect()
    };
    ProfileDoc {
        id: format!("o{n:05}"),
        name: format!("{}{}科技有限公司", v.word(rng), v.word(rng)),
        industries: list(rng, 1, 3, &|r| r.pick(DEFAULT_INDUSTRIES).to_owned()),
        keywords: list(rng, 8, 12, &|r| v.word(r).to_owned()),
        statement: (0..rng.range(3, 5))
            .map(|_| {
                let words = rng.range(6, 10);
                v.sentence(rng, words)
            })
            .collect(),
        platforms: list(rng, 1, 3, &|r| format!("{}工程技术研究中心", v.word(r))),
        past_projects: list(rng, 1, 3, &|r| {
            format!("{}{}关键技术研发", v.word(r), v.word(r))
        }),
        region_code: rng.pick(REGIONS).to_owned(),
    }
}

/// Resident and peak memory of this process, in MiB (Linux; 0 elsewhere).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let mut rng = Lcg(0x5eed_1a2b_3c4d_5e6f);
    let vocabulary = Vocabulary::new(&mut rng);
    let challenges: Vec<ChallengeDoc> = (0..CHALLENGES)
        .map(|n| challenge(&vocabulary, &mut rng, n))
        .collect();
    let profiles: Vec<ProfileDoc> = (0..PROFILES)
        .map(|n| profile(&vocabulary, &mut rng, n))
        .collect();
    let params = Params::default();
    let analyzer = Arc::new(Analyzer::new());

    let (rss_before, _) = memory_mib();
    let started = Instant::now();
    let matcher = Matcher::build(analyzer.clone(), params, &challenges, &[]);
    let build = started.elapsed();
    let (rss_after, peak) = memory_mib();
    let index = matcher.challenges();
    println!(
        "index of {} challenges: built in {:.1} s; {} terms; heap estimate {:.0} MiB; \
         resident memory +{:.0} MiB (process {:.0} MiB, peak {:.0} MiB)",
        index.len(),
        build.as_secs_f64(),
        index.vocabulary_len(),
        index.heap_bytes() as f64 / (1 << 20) as f64,
        rss_after - rss_before,
        rss_after,
        peak,
    );
    let organizations = Matcher::build(analyzer.clone(), params, &[], &profiles);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();

    let mut group = c.benchmark_group("matching");
    let mut n = 0;
    group.bench_function(
        BenchmarkId::new("recommend_challenges_top20", CHALLENGES),
        |b| {
            b.iter(|| {
                n = (n + 1) % profiles.len();
                black_box(matcher.recommend_challenges(&profiles[n], K))
            })
        },
    );
    let mut n = 0;
    group.bench_function(
        BenchmarkId::new("recommend_organizations_top20", PROFILES),
        |b| {
            b.iter(|| {
                n = (n + 1) % challenges.len();
                black_box(organizations.recommend_organizations(&challenges[n], K))
            })
        },
    );
    let queries = [
        "制氢",
        "苜蓿",
        "稀土永磁 钕铁硼",
        "电解水制氢 鄂尔多斯",
        "智能化 监测",
    ];
    let mut n = 0;
    group.bench_function(BenchmarkId::new("keyword_search", CHALLENGES), |b| {
        b.iter(|| {
            n = (n + 1) % queries.len();
            black_box(matcher.keyword_search(queries[n]))
        })
    });
    // an amendment: one challenge replaced in the full index (remove, analyse, insert)
    let mut matcher = matcher;
    let mut n = 0;
    group.bench_function(BenchmarkId::new("upsert_challenge", CHALLENGES), |b| {
        b.iter(|| {
            n = (n + 7_919) % challenges.len();
            matcher.upsert_challenge(black_box(&challenges[n]));
        })
    });
    group.finish();

    let mut group = c.benchmark_group("matching_build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function(BenchmarkId::new("index_challenges", CHALLENGES), |b| {
        b.iter(|| {
            black_box(Index::build(
                analyzer.clone(),
                &params.challenge_fields,
                params.scoring,
                &challenges,
            ))
        })
    });
    group.finish();
    c.final_summary();
}
