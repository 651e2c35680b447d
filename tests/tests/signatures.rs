//! SM2/SM3 signatures (issue #17): organisations' keys (their own, or kept by the platform),
//! agreements signed and countersigned, the official's countersignature at registration, the
//! evidence document checked offline and by the stock `openssl`, refusals that change nothing,
//! key rotation; and the tamper-evident audit chain, edited directly in each database.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jiebang_application::signing::{chain_pending, content_of, verify_chain, ChainReport};
use jiebang_domain::audit_chain::{self, Fault};
use jiebang_domain::evidence::{self, Evidence};
use jiebang_domain::signing;
use jiebang_tests::{awarded, on_both_databases, Db, TestApp};
use serde_json::{json, Value};

fn evidence_of(app: &TestApp, id: &str, token: &str) -> Evidence {
    let r = app
        .get(&format!("/api/v1/agreements/{id}/evidence"), Some(token))
        .expect(200);
    serde_json::from_value(r.json).expect("an evidence document")
}

/// How much of an agreement a refused request could have changed.
fn footprint(app: &TestApp, id: &str, token: &str) -> (Value, Value, Value, usize) {
    let a = app
        .get(&format!("/api/v1/agreements/{id}"), Some(token))
        .expect(200)
        .json;
    let history = app
        .get(&format!("/api/v1/agreements/{id}/history"), Some(token))
        .expect(200)
        .json;
    (
        a["status"].clone(),
        a["signatures"].clone(),
        a["version"].clone(),
        history.as_array().unwrap().len(),
    )
}

/// Runs the stock `openssl` (OpenSSL 3) to verify an SM2 signature over `message`.
fn openssl_verifies(
    dir: &std::path::Path,
    public_pem: &str,
    message: &[u8],
    signature_b64: &str,
) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let key = dir.join("key.pem");
    let msg = dir.join("message");
    let sig = dir.join("signature.der");
    std::fs::write(&key, public_pem).unwrap();
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, STANDARD.decode(signature_b64).unwrap()).unwrap();
    std::process::Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-pubin",
            "-inkey",
        ])
        .arg(&key)
        .arg("-in")
        .arg(&msg)
        .arg("-sigfile")
        .arg(&sig)
        .output()
        .expect("openssl (apt-get install openssl)")
        .status
        .success()
}

fn chain(app: &TestApp) -> usize {
    app.state
        .db
        .write_quiet(|c| {
            chain_pending(
                c,
                &app.state.ctx.keys,
                app.now(),
                chrono::TimeDelta::zero(),
                100_000,
            )
        })
        .unwrap()
        .entries
}

fn verify(app: &TestApp) -> ChainReport {
    app.state.db.read(|c| verify_chain(c, None)).unwrap()
}

on_both_databases! {
    fn signed_registered_agreements_carry_evidence_anyone_can_check(app) {
        let mut cast = app.cast();
        let (_, ids, other) = awarded(&app, &mut cast);
        let id = &ids[0];
        let a = app.get(&format!("/api/v1/agreements/{id}"), Some(&cast.publisher)).expect(200).json;
        let bidder_org = a["terms"]["parties"][1]["organization_id"].as_str().unwrap().to_owned();
        let bidder = if bidder_org == cast.bidder_org { cast.bidder.clone() } else { other.clone() };
        let hash = a["terms_hash"].as_str().unwrap().to_owned();

        // the bidder registers its own SM2 public key; only its admins may
        let (private, public) = signing::generate();
        app.post(&format!("/api/v1/organizations/{bidder_org}/keys"), Some(&cast.publisher), &json!({"public_key_pem": public}))
            .problem(403, "not_authorised_signatory");
        app.post(&format!("/api/v1/organizations/{bidder_org}/keys"), Some(&bidder), &json!({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}))
            .problem(422, "validation_failed").has_field_error("public_key_pem", "invalid_public_key");
        let key = app.post(&format!("/api/v1/organizations/{bidder_org}/keys"), Some(&bidder), &json!({"public_key_pem": public})).expect(201).json;
        assert_eq!(key["custody"], "own");
        assert_eq!(key["key_id"], signing::key_id(&public).unwrap().as_str());
        app.post(&format!("/api/v1/organizations/{bidder_org}/keys"), Some(&bidder), &json!({"public_key_pem": public}))
            .problem(422, "validation_failed").has_field_error("public_key_pem", "key_already_registered");
        // the private key never appears in anything the service answers
        let listed = app.get(&format!("/api/v1/organizations/{bidder_org}/keys"), None).expect(200);
        assert!(!listed.body.contains("PRIVATE"));

        // what is signed: the canonical terms, as the evidence document gives them
        let before = evidence_of(&app, id, &bidder);
        assert!(before.signatures.is_empty());
        let canonical = before.terms_canonical.clone();
        let sign = |token: &str, signature: Option<String>| {
            let mut body = json!({"terms_hash": hash});
            if let Some(s) = signature { body["signature"] = json!(s); }
            app.post(&format!("/api/v1/agreements/{id}/sign"), Some(token), &body)
        };
        // refused, and nothing recorded: no signature, a forged one, one by another key, one over other terms
        let unchanged = footprint(&app, id, &cast.official);
        sign(&bidder, None).problem(422, "validation_failed").has_field_error("signature", "signature_required");
        sign(&bidder, Some(STANDARD.encode(b"not a signature"))).problem(422, "validation_failed").has_field_error("signature", "signature_invalid");
        let (stranger_key, _) = signing::generate();
        let wrong_key = STANDARD.encode(signing::sign(&stranger_key, canonical.as_bytes()).unwrap());
        sign(&bidder, Some(wrong_key)).problem(422, "validation_failed").has_field_error("signature", "signature_invalid");
        let other_terms = STANDARD.encode(signing::sign(&private, canonical.replacen("24", "25", 1).as_bytes()).unwrap());
        sign(&bidder, Some(other_terms)).problem(422, "validation_failed").has_field_error("signature", "signature_invalid");
        // the publisher has no key of its own: the platform keeps one for it and signs; it sends none
        sign(&cast.publisher, Some(STANDARD.encode(b"x"))).problem(422, "validation_failed").has_field_error("signature", "signature_not_expected");
        assert_eq!(footprint(&app, id, &cast.official), unchanged, "a refused signature changes nothing");

        // both sign: the bidder with its own key, the publisher through the platform
        let own = STANDARD.encode(signing::sign(&private, canonical.as_bytes()).unwrap());
        assert_eq!(sign(&bidder, Some(own.clone())).expect(200).json["status"], "partially_signed");
        assert_eq!(sign(&cast.publisher, None).expect(200).json["status"], "signed");
        let registered = app.post(&format!("/api/v1/agreements/{id}/register"), Some(&cast.official), &json!({})).expect(200).json;
        assert_eq!(registered["status"], "registered");

        // the evidence: every check passes, with the platform's published keys pinned
        let e = evidence_of(&app, id, &cast.publisher);
        assert_eq!(e.status, "registered");
        assert_eq!(e.terms_sm3, signing::sm3_hex(canonical.as_bytes()));
        assert_eq!(e.terms_sha256, hash);
        assert_eq!(e.signatures.len(), 2);
        let mine = e.signatures.iter().find(|s| s.organization_id == bidder_org).unwrap();
        assert_eq!((mine.custody.as_str(), mine.by.signature.as_str()), ("own", own.as_str()));
        let theirs = e.signatures.iter().find(|s| s.organization_id != bidder_org).unwrap();
        assert_eq!(theirs.custody, "platform");
        let well_known = app.get("/.well-known/jiebang-keys.json", None).expect(200).json;
        let platform: Vec<String> = well_known["platform"].as_array().unwrap().iter().map(|k| k["key_id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(platform.len(), 1);
        let report = evidence::verify(&e, Some(&platform));
        assert!(report.ok(), "{:?}", report.failures().collect::<Vec<_>>());
        assert!(e.registration.is_some());
        // each key is also served by its id, for anyone checking a signature
        let official_key = &e.registration.as_ref().unwrap().countersignature.by;
        assert_eq!(app.get(&format!("/api/v1/keys/{}", official_key.key_id), None).expect(200).json["owner_type"], "user");

        // the stock openssl verifies every signature; one changed byte of the terms and it refuses
        let dir = std::env::temp_dir().join(format!("jiebang-evidence-{}", uuid::Uuid::new_v4()));
        for s in &e.signatures {
            assert!(openssl_verifies(&dir, &s.by.public_key_pem, e.terms_canonical.as_bytes(), &s.by.signature));
            let c = &s.countersignature;
            assert!(openssl_verifies(&dir, &c.by.public_key_pem, c.statement.as_bytes(), &c.by.signature));
            let mut changed = e.terms_canonical.clone().into_bytes();
            changed[10] ^= 1;
            assert!(!openssl_verifies(&dir, &s.by.public_key_pem, &changed, &s.by.signature));
        }
        let r = &e.registration.as_ref().unwrap().countersignature;
        assert!(openssl_verifies(&dir, &r.by.public_key_pem, r.statement.as_bytes(), &r.by.signature));
        // and `jiebang verify` refuses the changed document
        let file = dir.join("evidence.json");
        std::fs::write(&file, serde_json::to_string_pretty(&e).unwrap()).unwrap();
        assert_eq!(jiebang_api::cli::verify_file(&file, &platform), std::process::ExitCode::SUCCESS);
        let mut changed = e.clone();
        changed.terms_canonical = changed.terms_canonical.replacen(':', " :", 1);
        std::fs::write(&file, serde_json::to_string(&changed).unwrap()).unwrap();
        assert_eq!(jiebang_api::cli::verify_file(&file, &platform), std::process::ExitCode::FAILURE);
        std::fs::remove_dir_all(&dir).unwrap();

        // rotation: the bidder moves to a key the platform keeps; the old key stays listed and
        // what it signed still verifies
        let kept = app.post(&format!("/api/v1/organizations/{bidder_org}/keys"), Some(&bidder), &json!({})).expect(201).json;
        assert_eq!(kept["custody"], "platform");
        let keys = app.get(&format!("/api/v1/organizations/{bidder_org}/keys"), None).expect(200).json;
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys[0]["retired_at"].is_null() && keys[1]["retired_at"].is_string());
        assert!(evidence::verify(&evidence_of(&app, id, &bidder), Some(&platform)).ok());
        // the platform's key rotated (jiebang keys rotate-platform): both are published, the old
        // one retired, and what it countersigned still verifies against the published keys
        let before_rotation = chain(&app);
        let _ = before_rotation;
        app.state.db.write(|c| jiebang_application::signing::rotate_platform_key(c, &app.state.ctx.keys, app.now())).unwrap();
        let well_known = app.get("/.well-known/jiebang-keys.json", None).expect(200).json;
        let published: Vec<String> = well_known["platform"].as_array().unwrap().iter().map(|k| k["key_id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(published.len(), 2);
        assert_eq!(published[1], platform[0]);
        assert!(well_known["platform"][1]["retired_at"].is_string());
        assert!(evidence::verify(&evidence_of(&app, id, &bidder), Some(&published)).ok());
        assert!(!evidence::verify(&evidence_of(&app, id, &bidder), Some(&published[..1])).ok(), "pinned to the new key only");
        // the audit chain's checkpoints signed by either key verify
        chain(&app);
        let report = verify(&app);
        assert!(report.fault.is_none(), "{:?}", report.fault);
        // the private keys are sealed in the database, never stored in the clear
        let sealed = app.state.db.read(jiebang_db::keys::kept).unwrap();
        assert!(sealed.len() >= 4, "platform ×2, the publisher, the official");
        for k in &sealed {
            let s = k.private_sealed.as_deref().unwrap();
            assert!(s.starts_with("sm4gcm:") && !s.contains("PRIVATE"), "{s}");
        }
        // strangers do not get the evidence
        let (_, stranger) = app.verified_org("x@y.edu.cn", "某大学", "university", "150100");
        app.get(&format!("/api/v1/agreements/{id}/evidence"), Some(&stranger)).problem(404, "not_found");
    }
}

/// Chains what the programme wrote, checks the chain is intact, lets `edit` change the tables
/// directly (as someone with database access would, the append-only triggers removed first) and
/// returns the first fault the verifier names, with the id at each seq as it was before the edit
/// and the chain's length.
fn tamper(app: TestApp, edit: impl Fn(&TestApp, &dyn Fn(&str), &[i64])) -> (Fault, Vec<i64>) {
    let mut cast = app.cast();
    let _ = awarded(&app, &mut cast);
    // the scheduler chains as it goes; this chains the rest and signs a checkpoint of the head
    chain(&app);
    let report = verify(&app);
    assert!(report.entries > 10);
    assert!(report.fault.is_none(), "{:?}", report.fault);
    assert_eq!(report.unchained, 0);
    assert!(report.checkpoints >= 1);
    // ids[seq] = the entry at seq (ids[0] unused)
    let mut ids = vec![0];
    ids.extend(
        app.state
            .db
            .read(|c| jiebang_db::audit::chained_after(c, 0, 100_000))
            .unwrap()
            .iter()
            .map(|e| e.entry.id),
    );
    assert_eq!(ids.len() as i64 - 1, report.entries);
    let sql = |q: &str| {
        app.state
            .db
            .write_quiet(|c| -> Result<(), jiebang_db::DbError> {
                use jiebang_db::diesel::RunQueryDsl;
                jiebang_db::diesel::sql_query(q).execute(c).map(|_| ())
            })
            .unwrap()
    };
    match app.db {
        Db::Sqlite => {
            sql("DROP TRIGGER audit_log_no_update");
            sql("DROP TRIGGER audit_log_no_delete");
        }
        Db::Postgres => sql("ALTER TABLE audit_log DISABLE TRIGGER USER"),
    }
    edit(&app, &sql, &ids);
    (verify(&app).fault.expect("the edit is found"), ids)
}

on_both_databases! {
    fn an_edited_audit_entry_is_found_and_located(app) {
        let (fault, ids) = tamper(app, |_, sql, ids| sql(&format!("UPDATE audit_log SET comment = 'nothing happened' WHERE id = {}", ids[5])));
        assert_eq!(fault, Fault::Content { seq: 5, id: ids[5] });
    }

    fn a_deleted_audit_entry_is_found_and_located(app) {
        let (fault, ids) = tamper(app, |_, sql, ids| sql(&format!("DELETE FROM audit_log WHERE id = {}", ids[5])));
        assert_eq!(fault, Fault::Missing { expected: 5, found: 6, id: ids[6] });
    }

    fn reordered_audit_entries_are_found_and_located(app) {
        let (fault, ids) = tamper(app, |_, sql, ids| {
            sql(&format!("UPDATE audit_log SET seq = -1 WHERE id = {}", ids[6]));
            sql(&format!("UPDATE audit_log SET seq = 6 WHERE id = {}", ids[5]));
            sql(&format!("UPDATE audit_log SET seq = 5 WHERE id = {}", ids[6]));
        });
        assert_eq!(fault, Fault::Link { seq: 5, id: ids[6] });
    }

    fn an_edit_hidden_by_recomputing_the_chain_is_found_by_the_signed_checkpoint(app) {
        let (fault, ids) = tamper(app, |app, sql, ids| {
            sql(&format!("UPDATE audit_log SET comment = 'nothing happened' WHERE id = {}", ids[5]));
            // every hash from seq 5 on computed again, as someone who read docs/security.md would
            let entries = app.state.db.read(|c| jiebang_db::audit::chained_after(c, 4, 100_000)).unwrap();
            let mut prev = app.state.db.read(|c| jiebang_db::audit::chained_after(c, 3, 1)).unwrap()[0].hash.clone().unwrap();
            for e in &entries {
                let h = audit_chain::entry_hash(e.seq.unwrap(), &prev, &content_of(e));
                sql(&format!("UPDATE audit_log SET prev_hash = '{prev}', hash = '{h}' WHERE id = {}", e.entry.id));
                prev = h;
            }
        });
        // the first checkpoint signed at or after seq 5 no longer matches
        assert!(matches!(fault, Fault::Checkpoint { seq, .. } if seq >= 5 && seq < ids.len() as i64), "{fault:?}");
    }

    fn an_entry_moved_out_of_the_chain_is_found(app) {
        let (fault, ids) = tamper(app, |_, sql, ids| sql(&format!("UPDATE audit_log SET seq = 0 WHERE id = {}", ids[ids.len() - 1])));
        assert_eq!(fault, Fault::Stray { id: ids[ids.len() - 1], seq: Some(0) });
    }

    fn a_deleted_tail_is_found_by_the_signed_checkpoint(app) {
        let (fault, ids) = tamper(app, |_, sql, ids| sql(&format!("DELETE FROM audit_log WHERE seq > {}", ids.len() - 4)));
        let last = ids.len() as i64 - 1;
        assert_eq!(fault, Fault::Truncated { last: last - 3, seq: last });
    }
}

on_both_databases! {
    // The sequencer sets up to 250 entries' places per statement: a pass over more than that
    // (here 600 entries appended in one transaction, chained by the test or by the scheduler)
    // leaves every entry chained, in order, and the chain intact.
    fn a_long_backlog_is_chained_in_order_and_intact(app) {
        let before = verify(&app).entries;
        app.state
            .db
            .write_quiet(|c| -> Result<(), jiebang_db::DbError> {
                for i in 0..600 {
                    jiebang_db::audit::append(
                        c,
                        &jiebang_db::models::NewAuditEntry {
                            at: app.now().naive_utc(),
                            object_type: "test".into(),
                            object_id: format!("backlog-{i}"),
                            action: "appended".into(),
                            after_json: Some(format!("{{\"n\":{i}}}")),
                            ..Default::default()
                        },
                    )?;
                }
                Ok(())
            })
            .unwrap();
        chain(&app);
        let report = verify(&app);
        assert!(report.fault.is_none(), "{:?}", report.fault);
        assert_eq!(report.unchained, 0);
        assert!(report.entries >= before + 600, "{} after {before}", report.entries);
        let chained = app
            .state
            .db
            .read(|c| jiebang_db::audit::chained_after(c, 0, 100_000))
            .unwrap();
        let backlog: Vec<&str> = chained
            .iter()
            .filter(|e| e.entry.object_type == "test")
            .map(|e| e.entry.object_id.as_str())
            .collect();
        let appended: Vec<String> = (0..600).map(|i| format!("backlog-{i}")).collect();
        assert_eq!(backlog, appended.iter().map(String::as_str).collect::<Vec<_>>());
        // seq runs 1, 2, 3 … without a gap, each entry linked to the one before
        for (n, e) in chained.iter().enumerate() {
            assert_eq!(e.seq, Some(n as i64 + 1));
        }
    }
}

/// Two instances on one PostgreSQL, each writing and each running its sequencer: one chain, intact.
#[test]
fn instances_appending_at_once_keep_one_valid_chain() {
    let Some(a) = TestApp::on_postgres() else {
        return;
    };
    let b = a.spawn_peer();
    std::thread::scope(|s| {
        for (n, app) in [&a, &b, &a, &b].into_iter().enumerate() {
            s.spawn(move || {
                for i in 0..15 {
                    app.register(
                        &format!("u{n}-{i}@chain.edu.cn"),
                        &format!("链测试大学{n}-{i}"),
                        "university",
                        "150102",
                    );
                    if i % 5 == 0 {
                        chain(app);
                    }
                }
            });
        }
    });
    a.wait_until("every entry chained by the schedulers", || {
        verify(&a).unchained == 0
    });
    let report = verify(&b);
    assert!(report.fault.is_none(), "{:?}", report.fault);
    assert!(report.entries >= 60, "{}", report.entries);
}
