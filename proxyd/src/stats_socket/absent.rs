//! Commands about things a passthrough proxy never has: stick tables, maps, ACLs, peers,
//! resolvers, caches, TLS certificates and keys, variables. They answer as HAProxy 2.6 answers
//! for a process that has none (an empty list, or the lookup's failure, after the same argument
//! checks), so tools that ask get HAProxy's answer rather than "Unknown command".

use runtime_api::level::Level;

use super::context::Ctx;

const UNKNOWN_MAP: &str = "Unknown map identifier. Please use #<id> or <file>.\n";
const UNKNOWN_ACL: &str = "Unknown ACL identifier. Please use #<id> or <file>.\n";
const NO_TABLE: &str = "No such table\n";

/// The words after the command's own `n` words.
fn rest(words: &[String], n: usize) -> Vec<&str> {
    words
        .iter()
        .skip(n)
        .map(String::as_str)
        .filter(|w| !w.is_empty())
        .collect()
}

pub fn show_table(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => String::new(),
        false => NO_TABLE.into(),
    }
}

pub fn clear_table(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n".into(),
        false => NO_TABLE.into(),
    }
}

pub fn set_table(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n".into(),
        false => NO_TABLE.into(),
    }
}

pub fn show_map(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => "# id (file) description\n".into(),
        false => UNKNOWN_MAP.into(),
    }
}

pub fn show_acl(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => "# id (file) description\n".into(),
        false => UNKNOWN_ACL.into(),
    }
}

/// `get|add|del|set|clear|prepare|commit map|acl`: each checks its arguments, then finds no
/// map or ACL by that name.
pub fn map_or_acl(_: &mut Ctx, w: &[String]) -> String {
    let verb = w.first().map(String::as_str).unwrap_or("");
    let acl = w.get(1).map(String::as_str) == Some("acl");
    let args = rest(w, 2);
    let unknown = if acl { UNKNOWN_ACL } else { UNKNOWN_MAP };
    let short = |n: usize| args.len() < n;
    let complaint = match (verb, acl) {
        ("get", false) if short(2) => Some("Missing map identifier and/or key.\n"),
        ("get", true) if short(2) => Some("Missing ACL identifier and/or key.\n"),
        ("add", false) if short(3) => Some("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"),
        ("add", true) if short(2) => Some("'add acl' expects two parameters: ACL identifier and pattern.\n"),
        ("del", false) if short(2) => Some("This command expects two parameters: map identifier and key.\n"),
        ("del", true) if short(2) => Some("This command expects two parameters: ACL identifier and key.\n"),
        ("clear", false) if short(1) => Some("Missing map identifier.\n"),
        ("clear", true) if short(1) => Some("Missing ACL identifier.\n"),
        ("set", _) if short(3) => Some("'set map' expects three parameters: map identifier, key and value.\n"),
        ("commit", _) if !args.first().is_some_and(|a| a.starts_with('@')) => {
            Some("Missing version number.\n")
        }
        _ => None,
    };
    match complaint {
        Some(c) => c.into(),
        // HAProxy's `del acl` reports its lookup failure with the map wording.
        None if verb == "del" => UNKNOWN_MAP.into(),
        None => unknown.into(),
    }
}

/// `show peers`, `show cache`, `show ssl cert|crt-list|ocsp-response`: nothing to list.
pub fn nothing(_: &mut Ctx, _: &[String]) -> String {
    String::new()
}

pub fn show_resolvers(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => String::new(),
        false => "Can't find that resolvers section\n".into(),
    }
}

/// HAProxy 2.6 answers a user-level client of its TLS listings with this (it fails to set up
/// the listing rather than refusing it).
const USER_TLS_LISTING: &str = "Can't allocate memory!\n";

pub fn show_ssl_cert(ctx: &mut Ctx, w: &[String]) -> String {
    if ctx.level < Level::Operator {
        return USER_TLS_LISTING.into();
    }
    match rest(w, 3).is_empty() {
        true => String::new(),
        false => {
            "Can't display the certificate: Not found or the certificate is a bundle!\n".into()
        }
    }
}

pub fn show_ssl_crl_file(ctx: &mut Ctx, _: &[String]) -> String {
    if ctx.level < Level::Operator {
        return USER_TLS_LISTING.into();
    }
    "# filename\n".into()
}

pub fn show_tls_keys(_: &mut Ctx, _: &[String]) -> String {
    "# id (file)\n".into()
}

pub fn get_var(_: &mut Ctx, w: &[String]) -> String {
    match rest(w, 2).is_empty() {
        true => "Missing process-wide variable identifier.\n".into(),
        false => "Variable not found.\n".into(),
    }
}
