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
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, users, refresh_tokens, audit_log);
