//! `weight be/srv N[%]`: `set server B/S weight N[%]`. HAProxy validates the value (range, static
//! algorithms); we only catch what is clearly not a weight so the message names our syntax, and
//! warn when a percentage rounds a server down to 0.

use runtime_api::stat_table::StatTable;

use super::admin::{self, Plan, Shown};
use super::Ctx;
use crate::args::WeightArgs;
use crate::error::CtlError;

fn valid(w: &str) -> bool {
    let digits = w.strip_suffix('%').unwrap_or(w);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

pub fn run(ctx: &Ctx, args: &WeightArgs) -> Result<u8, CtlError> {
    if !valid(&args.weight) {
        return Err(CtlError::Usage(format!(
            "`{}`: expected a weight 0-256 or a percentage of the initial weight such as 50%",
            args.weight
        )));
    }
    let command = |b: &str, s: &str| format!("set server {b}/{s} weight {}", args.weight);
    let plans = admin::plan(
        &ctx.instances()?,
        std::slice::from_ref(&args.server),
        &[],
        &command("B", "S"),
    )?;
    let (code, after) = admin::apply(&plans, Shown::Weight, command)?;
    let zeroed = rounded_to_zero(&plans, &after, &args.weight);
    if !zeroed.is_empty() {
        eprintln!(
            "haproxyctl: warning: `{}` left {} at weight 0 (HAProxy rounds down): no new sessions go there",
            args.weight,
            zeroed.join(", ")
        );
    }
    Ok(code)
}

/// Servers a non-zero request left at weight 0 (`50%` of 1): out of traffic without anyone
/// having asked for it.
fn rounded_to_zero(plans: &[Plan], after: &[StatTable], requested: &str) -> Vec<String> {
    let digits = requested.strip_suffix('%').unwrap_or(requested);
    if digits.chars().all(|c| c == '0') {
        return Vec::new();
    }
    let several = plans.len() > 1;
    let mut out = Vec::new();
    for (plan, table) in plans.iter().zip(after) {
        for (b, s) in &plan.servers {
            let now = admin::find(table, b, s).and_then(|r| r.u64("weight"));
            if now == Some(0) {
                out.push(match several {
                    true => format!("{}:{b}/{s}", plan.instance.label),
                    false => format!("{b}/{s}"),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights_are_numbers_or_percentages() {
        assert!(super::valid("0") && super::valid("50%") && super::valid("256"));
        assert!(!super::valid("%") && !super::valid("-1") && !super::valid("5x"));
    }
}
