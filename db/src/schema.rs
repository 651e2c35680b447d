// Written by hand to match migrations/{sqlite,postgres}: only portable SQL types are used.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        credit_code -> Text,
        region_code -> Text,
        status -> Text,
        description -> Text,
        website -> Text,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        returned_at -> Nullable<Timestamp>,
        return_reason -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        role -> Text,
        organization_id -> Nullable<Text>,
        locale -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expert_fields -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_organization_id -> Nullable<Text>,
        object_type -> Text,
        object_id -> Text,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        comment -> Nullable<Text>,
        request_id -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        owner_type -> Text,
        owner_id -> Text,
        custody -> Text,
        public_pem -> Text,
        private_sealed -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        head_hash -> Text,
        at -> Timestamp,
        statement -> Text,
        key_id -> Text,
        signature -> Text,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    challenges (id) {
        id -> Text,
        organization_id -> Text,
        created_by -> Text,
        status -> Text,
        title -> Text,
        kind -> Text,
        mode -> Text,
        industry -> Text,
        industry_chain -> Text,
        problem -> Text,
        expected_outcomes -> Text,
        duration_months -> BigInt,
        enterprise_funds -> BigInt,
        fiscal_support -> BigInt,
        max_winners -> BigInt,
        ip_ownership -> Text,
        bidding_deadline -> Timestamp,
        questions_deadline -> Timestamp,
        kpis_json -> Text,
        eligibility_json -> Text,
        contact_json -> Text,
        region_code -> Text,
        search_text -> Text,
        review_comment -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    challenge_invitations (challenge_id, organization_id) {
        challenge_id -> Text,
        organization_id -> Text,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        challenge_id -> Text,
        organization_id -> Text,
        user_id -> Text,
        question -> Text,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> BigInt,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        link -> Text,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bids (id) {
        id -> Text,
        challenge_id -> Text,
        lead_organization_id -> Text,
        created_by -> Text,
        status -> Text,
        chief_scientist_json -> Nullable<Text>,
        approach -> Text,
        kpi_answers_json -> Text,
        milestones_json -> Text,
        requested_fiscal -> BigInt,
        own_funds -> BigInt,
        ineligible_reasons_json -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    bid_members (bid_id, organization_id) {
        bid_id -> Text,
        organization_id -> Text,
        role -> Text,
        share_percent -> BigInt,
    }
}

diesel::table! {
    rubrics (challenge_id) {
        challenge_id -> Text,
        criteria_json -> Text,
        set_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    challenge_experts (challenge_id, expert_id) {
        challenge_id -> Text,
        expert_id -> Text,
        assigned_by -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    scores (bid_id, expert_id) {
        bid_id -> Text,
        expert_id -> Text,
        challenge_id -> Text,
        scores_json -> Text,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    expert_recusals (challenge_id, expert_id) {
        challenge_id -> Text,
        expert_id -> Text,
        reason -> Text,
        declared_at -> Timestamp,
    }
}

diesel::table! {
    score_drafts (bid_id, expert_id) {
        bid_id -> Text,
        expert_id -> Text,
        scores_json -> Text,
        saved_at -> Timestamp,
    }
}

diesel::table! {
    award_selections (challenge_id, bid_id) {
        challenge_id -> Text,
        bid_id -> Text,
        selected_by -> Text,
        selected_at -> Timestamp,
    }
}

diesel::table! {
    agreements (id) {
        id -> Text,
        challenge_id -> Text,
        bid_id -> Text,
        status -> Text,
        terms_json -> Text,
        terms_hash -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        signed_at -> Nullable<Timestamp>,
        registered_at -> Nullable<Timestamp>,
        registered_by -> Nullable<Text>,
        end_reason -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        registration_statement -> Nullable<Text>,
        registration_key_id -> Nullable<Text>,
        registration_signature -> Nullable<Text>,
        registration_countersign_statement -> Nullable<Text>,
        registration_countersign_key_id -> Nullable<Text>,
        registration_countersignature -> Nullable<Text>,
    }
}

diesel::table! {
    signatures (agreement_id, organization_id) {
        agreement_id -> Text,
        organization_id -> Text,
        user_id -> Text,
        terms_hash -> Text,
        signed_at -> Timestamp,
        terms_sm3 -> Nullable<Text>,
        key_id -> Nullable<Text>,
        signature -> Nullable<Text>,
        countersign_statement -> Nullable<Text>,
        countersign_key_id -> Nullable<Text>,
        countersignature -> Nullable<Text>,
    }
}

diesel::table! {
    milestones (id) {
        id -> Text,
        agreement_id -> Text,
        seq -> BigInt,
        month -> BigInt,
        deliverable -> Text,
        due_at -> Timestamp,
        status -> Text,
        evidence -> Nullable<Text>,
        reported_at -> Nullable<Timestamp>,
        reported_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        confirmed_by -> Nullable<Text>,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        agreement_id -> Text,
        milestone_id -> Text,
        source -> Text,
        amount -> BigInt,
        paid_at -> Timestamp,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (user_id, kind) {
        user_id -> Text,
        kind -> Text,
        email_enabled -> Bool,
    }
}

diesel::table! {
    subscriptions (user_id) {
        user_id -> Text,
        industries_json -> Text,
        keywords_json -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reminders_sent (key) {
        key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    login_keys (key) {
        key -> Text,
        touched_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Text,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    consortia (id) {
        id -> Text,
        lead_organization_id -> Text,
        created_by -> Text,
        name -> Text,
        industry_direction -> Text,
        national_platforms -> BigInt,
        provincial_platforms -> BigInt,
        regional_platforms -> BigInt,
        mechanisms -> Text,
        status -> Text,
        registration_no -> Nullable<Text>,
        filed_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoke_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consortium_members (consortium_id, organization_id) {
        consortium_id -> Text,
        organization_id -> Text,
    }
}

diesel::table! {
    registration_counters (year) {
        year -> BigInt,
        last_value -> BigInt,
    }
}

diesel::table! {
    profiles (organization_id) {
        organization_id -> Text,
        industries_json -> Text,
        keywords_json -> Text,
        statement -> Text,
        platforms_json -> Text,
        past_projects_json -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(bids -> challenges (challenge_id));
diesel::joinable!(bid_members -> bids (bid_id));
diesel::joinable!(challenges -> organizations (organization_id));
diesel::joinable!(challenge_invitations -> challenges (challenge_id));
diesel::joinable!(questions -> challenges (challenge_id));

diesel::table! {
    web_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    signing_keys,
    audit_checkpoints,
    users,
    refresh_tokens,
    audit_log,
    challenges,
    challenge_invitations,
    questions,
    idempotency_keys,
    notifications,
    email_outbox,
    bids,
    bid_members,
    rubrics,
    challenge_experts,
    scores,
    expert_recusals,
    score_drafts,
    award_selections,
    agreements,
    notification_preferences,
    subscriptions,
    reminders_sent,
    login_keys,
    login_attempts,
    signatures,
    milestones,
    payments,
    consortia,
    consortium_members,
    registration_counters,
    profiles,
    web_sessions,
);
