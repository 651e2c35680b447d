//! What signing adds to a request (docs/performance.md, "Signing and the audit chain"):
//!
//! ```sh
//! cargo bench -p jiebang-domain --bench signing
//! ```
//!
//! - a party signing with its own key: the service verifies the SM2 signature over the canonical
//!   terms, then countersigns with the platform key;
//! - a party whose key the platform keeps: sign, then countersign;
//! - the official's countersignature at registration: sign one statement;
//! - a kept key's first use in an instance: open the sealed key, parse it, check its id (then
//!   its signer is kept);
//! - the primitives: an SM2 signature and a verification with the key parsed, parsing a key,
//!   opening a sealed key;
//! - the audit chain's work per entry (SM3 over its canonical JSON), done by the sequencer off the
//!   request path.

use criterion::Criterion;
use jiebang_domain::audit_chain::{entry_hash, Content, GENESIS};
use jiebang_domain::evidence::{check, countersignature_statement, sign, Countersigned};
use jiebang_domain::sealing::{open, MasterKey};
use jiebang_domain::signing;
use std::hint::black_box;

fn terms() -> String {
    // about the size of a real agreement's canonical terms (two parties, KPIs, milestones)
    let kpis: Vec<_> = (0..6)
        .map(|i| serde_json::json!({"name": format!("考核指标 {i}：单槽产氢量"), "target": "≥1000", "unit": "Nm³/h", "committed": "1200 Nm³/h"}))
        .collect();
    jiebang_domain::agreement::canonical_json(&serde_json::json!({
        "challenge_id": "0193a0c2-7d1e-7b3a-9f00-000000000001",
        "bid_id": "0193a0c2-7d1e-7b3a-9f00-000000000002",
        "title": "适应宽范围功率波动的千标方级电解水制氢关键装备研制与示范应用",
        "parties": [
            {"role": "publisher", "organization_id": "o1", "name": "内蒙古北方重工业集团有限公司", "credit_code": "91150200MA0N000001"},
            {"role": "bidder", "organization_id": "o2", "name": "内蒙古大学", "credit_code": "12150000MA0N000002"}
        ],
        "fiscal_amount": 4_000_000, "enterprise_amount": 8_000_000, "term_months": 24,
        "ip_ownership": "shared", "kpis": kpis,
        "milestones": [{"month": 6, "deliverable": "中试工艺包"}, {"month": 18, "deliverable": "示范生产线"}]
    }))
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let master = MasterKey::from_secret(b"a master key of at least thirty-two bytes");
    let masters = [master.clone()];
    let (platform, _) = signing::generate();
    let (party, _) = signing::generate();
    let party_sealed = master.seal(party.as_bytes());
    let canonical = terms();
    let own = sign(&party, canonical.as_bytes()).unwrap();
    let sm3 = signing::sm3_hex(canonical.as_bytes());
    // the service opens each kept key once and keeps its signer (application::signing::Keyring)
    let platform_signer = signing::Signer::from_pem(&platform).unwrap();
    let party_signer = signing::Signer::from_pem(&party).unwrap();
    let countersign = || {
        let st = countersignature_statement(&Countersigned {
            agreement_id: "a1",
            organization_id: "o2",
            user_id: "u1",
            custody: "own",
            key_id: &own.key_id,
            signature: &own.signature,
            terms_sm3: &sm3,
            signed_at: "2026-12-01T10:00:00.000000Z",
        });
        platform_signer.sign(st.as_bytes())
    };
    c.bench_function("sign request, own key: verify + countersign", |b| {
        b.iter(|| {
            check(&own, canonical.as_bytes()).unwrap();
            black_box(countersign())
        })
    });
    c.bench_function("sign request, kept key: sign + countersign", |b| {
        b.iter(|| {
            black_box(party_signer.sign(canonical.as_bytes()));
            black_box(countersign())
        })
    });
    c.bench_function("register request: the official's countersignature", |b| {
        b.iter(|| black_box(countersign()))
    });
    c.bench_function(
        "a kept key's first use: open (SM4-GCM) + parse + check its id",
        |b| {
            b.iter(|| {
                let pem = String::from_utf8(open(&masters, &party_sealed).unwrap()).unwrap();
                let public = signing::public_of(&pem).unwrap();
                black_box(signing::key_id(&public).unwrap());
                black_box(signing::Signer::from_pem(&pem).unwrap())
            })
        },
    );
    // the primitives, with the key already parsed (what a cache of opened keys would leave)
    {
        use sm2::dsa::signature::{Signer, Verifier};
        use sm2::pkcs8::DecodePrivateKey;
        let secret = sm2::SecretKey::from_pkcs8_pem(&party).unwrap();
        let key = sm2::dsa::SigningKey::new(signing::DISTID, &secret).unwrap();
        let verifying = key.verifying_key().clone();
        let sig: sm2::dsa::Signature = key.sign(canonical.as_bytes());
        c.bench_function("primitive: SM2 sign, key parsed", |b| {
            b.iter(|| black_box::<sm2::dsa::Signature>(key.sign(canonical.as_bytes())))
        });
        c.bench_function("primitive: SM2 verify, key parsed", |b| {
            b.iter(|| {
                verifying
                    .verify(black_box(canonical.as_bytes()), &sig)
                    .unwrap()
            })
        });
        c.bench_function("primitive: parse PKCS#8 PEM + SigningKey::new", |b| {
            b.iter(|| {
                let s = sm2::SecretKey::from_pkcs8_pem(&party).unwrap();
                black_box(sm2::dsa::SigningKey::new(signing::DISTID, &s).unwrap())
            })
        });
        c.bench_function("primitive: SM4-GCM open", |b| {
            b.iter(|| black_box(open(&masters, &party_sealed).unwrap()))
        });
    }
    let at = chrono::DateTime::from_timestamp(1_764_000_000, 0)
        .unwrap()
        .naive_utc();
    let after = r#"{"status":"submitted","requested_fiscal":3000000}"#;
    let entry = Content {
        id: 123_456,
        at,
        actor_user_id: Some("0193a0c2-7d1e-7b3a-9f00-00000000000a"),
        actor_organization_id: Some("0193a0c2-7d1e-7b3a-9f00-00000000000b"),
        object_type: "bid",
        object_id: "0193a0c2-7d1e-7b3a-9f00-00000000000c",
        action: "submit",
        before_json: Some("\"draft\""),
        after_json: Some(after),
        comment: None,
        request_id: Some("0193a0c2-7d1e-7b3a-9f00-00000000000d"),
    };
    c.bench_function("audit chain: hash one entry", |b| {
        b.iter(|| black_box(entry_hash(42, GENESIS, &entry)))
    });
    c.final_summary();
}
